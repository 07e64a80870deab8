"""Merchandising rules: what a storefront's team asks of every list the API serves.

A rule boosts, buries or filters the items its `match` selects (kind, category, seller, price
range, freshness, item ids), pins one item to a position, or gives a promotion (the items its
`match` selects) a share of the slots. The rules live in one `RuleSet` aggregate whose
`revision` grows with every change, so each API replica can tell a changed set by one number.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from core.domain.aggregate import Aggregate
from core.domain.errors import Conflict, InvalidInput, NotFound

# The one rule set of the deployment (a tenant's would be keyed the same way).
DEFAULT_RULE_SET = "default"
# What `match` may name; anything else is refused (a typo must not select everything).
# Every list the API serves walks the active rules: a bound keeps that walk cheap.
MAX_RULES = 200
MATCH_FIELDS = frozenset({"kinds", "categories", "sellers", "item_ids", "price_min",
                          "price_max", "max_age_s", "min_age_s"})


class RuleAction(StrEnum):
    boost = "boost"
    bury = "bury"
    filter = "filter"
    pin = "pin"
    promote = "promote"


class FilterMode(StrEnum):
    exclude = "exclude"  # drop the items the rule matches
    include = "include"  # keep only the items the rule matches


def _check_match(match: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(match) - MATCH_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown attribute {unknown[0]!r}", field=f"match.{unknown[0]}")
    low, high = match.get("price_min"), match.get("price_max")
    if low is not None and high is not None and float(low) > float(high):
        raise InvalidInput("price_min exceeds price_max", field="match.price_max")
    young, old = match.get("max_age_s"), match.get("min_age_s")
    if young is not None and old is not None and float(old) > float(young):
        raise InvalidInput("min_age_s exceeds max_age_s", field="match.min_age_s")
    return dict(match)


class Rule:
    """One rule; `weight` for boost and bury, `item_id` and `position` (1-based) for a pin,
    `share` (0 < share ≤ 1) for a promotion, `mode` for a filter."""

    def __init__(self, *, rule_id: str, rule_set_id: str, action: RuleAction, name: str = "",
                 match: Mapping[str, Any] | None = None, weight: float | None = None,
                 mode: FilterMode | None = None, item_id: str | None = None,
                 position: int | None = None, share: float | None = None,
                 active: bool = True, created_seq: int = 0) -> None:
        self.rule_id = rule_id
        self.rule_set_id = rule_set_id
        self.action = action.value
        self.name = name
        self.match = _check_match(match or {})
        self.weight = weight
        self.mode = mode.value if mode is not None else None
        self.item_id = item_id
        self.position = position
        self.share = share
        self.active = active
        self.created_seq = created_seq
        self._check()

    def _check(self) -> None:
        action = RuleAction(self.action)
        if action in (RuleAction.boost, RuleAction.bury) and (
                self.weight is None or not 0 < self.weight <= 100):
            raise InvalidInput("weight is above 0 and at most 100", field="weight")
        if action is RuleAction.pin:
            if not self.item_id:
                raise InvalidInput("a pin names its item", field="item_id")
            if self.position is None or self.position < 1:
                raise InvalidInput("position is 1 or more", field="position")
        if action is RuleAction.promote and (self.share is None or not 0 < self.share <= 1):
            raise InvalidInput("share is above 0 and at most 1", field="share")
        if action in (RuleAction.filter, RuleAction.promote, RuleAction.boost,
                      RuleAction.bury) and not self.match:
            raise InvalidInput(f"a {action.value} rule matches something", field="match")


class RuleSet(Aggregate):
    """Every merchandising rule, and the revision each change raises by one."""

    def __init__(self, *, rule_set_id: str = DEFAULT_RULE_SET) -> None:
        self.rule_set_id = rule_set_id
        self.revision = 0
        self.rules: list[Rule] = []
        self.version = 1

    def find(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule
        raise NotFound(f"unknown rule {rule_id!r}", field="rule_id")

    def add(self, rule: Rule) -> Rule:
        if len(self.rules) >= MAX_RULES:
            raise Conflict(f"a rule set holds at most {MAX_RULES} rules", field="rule_id")
        if any(r.rule_id == rule.rule_id for r in self.rules):
            raise Conflict(f"rule {rule.rule_id!r} exists", field="rule_id")
        self.revision += 1
        rule.rule_set_id = self.rule_set_id
        rule.created_seq = self.revision  # the order of creation: an earlier pin wins a tie
        self.rules.append(rule)
        return rule

    def set_active(self, rule_id: str, active: bool) -> Rule:
        rule = self.find(rule_id)
        if rule.active != active:
            rule.active = active
            self.revision += 1
        return rule

    def remove(self, rule_id: str) -> None:
        self.rules.remove(self.find(rule_id))
        self.revision += 1
