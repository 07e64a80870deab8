"""Merchandising rules applied to a scored candidate list: a pure function, no I/O.

`apply_rules(candidates, rule_set, attributes, k)` returns the list to serve and the ids of
the rules that changed it. Steps, in order:

1. **filter** (`exclude`: drop what the rule matches; `include`: keep only what it matches);
2. **boost / bury**: each item's place in the given order becomes a score `1 - i/n`; a
   matching boost adds its weight, a bury subtracts it (weight 1 moves an item across the
   whole list); the list is re-sorted, ties keep the given order. Monotone: boosting an item
   never moves it down, burying never up, and without boosts the given order is untouched;
3. **promote**: each promotion (oldest first) gets at least `max(1, floor(share * k))` of the
   slots the pins leave, when it has that many candidates: the best of its items not already
   in the list replace the lowest items that no earlier promotion holds, and take evenly
   spaced slots;
4. **pin**: each pinned item goes to its position (1-based; an earlier rule wins a tie, the
   later one takes the next slot), inserted even when the candidates lack it if `admit`
   allows it (the request's exclusions and filters); never when a filter drops it.

A rule is named when it changed the answer: a filter that dropped an item the first k
candidates held, a boost that moved a served item up, a bury that moved one of the first k
down, a promotion that brought an item in, a pin that moved or inserted its item.

Attributes a rule may match (`ItemAttributes`; docs/serving.md, "Merchandising rules"): the
kind (the item id's prefix) for every item; a product's category, price and sellers (its
listings) and a post's community (its category) from the core's catalogue; a publication time
where a source gives one. An item whose attribute is unknown is not matched by a condition on
that attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.filters import Scored

BOOST, BURY, FILTER, PIN, PROMOTE = "boost", "bury", "filter", "pin", "promote"
INCLUDE = "include"


@dataclass(frozen=True, kw_only=True, slots=True)
class ItemAttributes:
    category: str | None = None
    price: float | None = None
    sellers: frozenset[str] = frozenset()
    published_at: float | None = None  # epoch seconds
    # False: the catalogue could not say in time (a timeout, an outage); an attribute filter
    # then drops the item, so a rule never lets through what it could not check
    known: bool = True

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> ItemAttributes:
        return cls(category=view.get("category"), price=view.get("price"),
                   sellers=frozenset(view.get("sellers") or ()),
                   published_at=view.get("published_at"))


NO_ATTRIBUTES = ItemAttributes()
UNKNOWN = ItemAttributes(known=False)


def kind_of(item_id: str) -> str:
    return item_id.partition(":")[0]


@dataclass(frozen=True, kw_only=True, slots=True)
class Match:
    """What a rule selects: every condition given must hold (a list: any of its values)."""

    kinds: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    sellers: frozenset[str] = frozenset()
    item_ids: frozenset[str] = frozenset()
    price_min: float | None = None
    price_max: float | None = None
    max_age_s: float | None = None
    min_age_s: float | None = None

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> Match:
        def values(name: str) -> frozenset[str]:
            return frozenset(str(v) for v in view.get(name) or ())

        def number(name: str) -> float | None:
            value = view.get(name)
            return None if value is None else float(value)

        return cls(kinds=values("kinds"), categories=values("categories"),
                   sellers=values("sellers"), item_ids=values("item_ids"),
                   price_min=number("price_min"), price_max=number("price_max"),
                   max_age_s=number("max_age_s"), min_age_s=number("min_age_s"))

    @property
    def needs_attributes(self) -> bool:
        return bool(self.categories or self.sellers or self.price_min is not None
                    or self.price_max is not None or self.max_age_s is not None
                    or self.min_age_s is not None)

    def selects(self, item_id: str, attrs: ItemAttributes, now: float) -> bool:
        if self.item_ids and item_id not in self.item_ids:
            return False
        if self.kinds and kind_of(item_id) not in self.kinds:
            return False
        if self.categories and attrs.category not in self.categories:
            return False
        if self.sellers and not self.sellers & attrs.sellers:
            return False
        if self.price_min is not None or self.price_max is not None:
            price = attrs.price
            if price is None or (self.price_min is not None and price < self.price_min) or (
                    self.price_max is not None and price > self.price_max):
                return False
        if self.max_age_s is not None or self.min_age_s is not None:
            if attrs.published_at is None:
                return False
            age = now - attrs.published_at
            if (self.max_age_s is not None and age > self.max_age_s) or (
                    self.min_age_s is not None and age < self.min_age_s):
                return False
        return True


@dataclass(frozen=True, kw_only=True, slots=True)
class Rule:
    rule_id: str
    action: str
    match: Match = field(default_factory=Match)
    weight: float = 0.0
    mode: str | None = None
    item_id: str | None = None
    position: int = 0
    share: float = 0.0
    seq: int = 0

    @classmethod
    def from_view(cls, view: Mapping[str, Any], seq: int) -> Rule:
        return cls(rule_id=view["rule_id"], action=view["action"],
                   match=Match.from_view(view.get("match") or {}),
                   weight=float(view.get("weight") or 0.0), mode=view.get("mode"),
                   item_id=view.get("item_id"), position=int(view.get("position") or 0),
                   share=float(view.get("share") or 0.0), seq=seq)

    def drops(self, item_id: str, attrs: ItemAttributes, now: float) -> bool:
        """For a filter: whether the item is filtered out (fail closed: an item whose
        attributes are unknown when the filter needs them)."""
        if not attrs.known and self.match.needs_attributes:
            return True
        matched = self.match.selects(item_id, attrs, now)
        return not matched if self.mode == INCLUDE else matched


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleSet:
    """The active rules as a replica holds them, and the revision they were read at."""

    revision: int = 0
    rules: tuple[Rule, ...] = ()

    @classmethod
    def from_view(cls, view: Mapping[str, Any]) -> RuleSet:
        """From `core.service_layer.reads.get_rule_set`'s view: the active rules only."""
        rules = tuple(Rule.from_view(r, seq) for seq, r in enumerate(view["rules"])
                      if r["active"])
        return cls(revision=int(view["revision"]), rules=rules)

    def of(self, action: str) -> list[Rule]:
        return [r for r in self.rules if r.action == action]

    @property
    def pinned_items(self) -> list[str]:
        return [r.item_id for r in self.rules if r.action == PIN and r.item_id]

    @property
    def needs_attributes(self) -> bool:
        return any(r.match.needs_attributes for r in self.rules)


EMPTY = RuleSet()


def _admit_all(_: str) -> bool:
    return True


def apply_rules(candidates: Sequence[Scored], rule_set: RuleSet,
                attributes: Mapping[str, ItemAttributes], k: int, *,
                admit: Callable[[str], bool] = _admit_all, now: float = 0.0,
                ) -> tuple[list[Scored], list[str]]:
    """The at most `k` items to serve, without duplicates, and the ids of the rules that
    changed them (in the rule set's order). `admit` says whether an item the candidates
    lack (a pin) may be served to this request."""
    ranked = list({c.item_id: c for c in reversed(candidates)}.values())[::-1]  # first wins
    if not rule_set.rules or k <= 0:
        return ranked[:max(k, 0)], []

    def attrs(item_id: str) -> ItemAttributes:
        return attributes.get(item_id, NO_ATTRIBUTES)

    changed: set[str] = set()
    shown = {c.item_id for c in ranked[:k]}
    filters = rule_set.of(FILTER)
    kept: list[Scored] = []
    for c in ranked:
        dropped_by = [r.rule_id for r in filters if r.drops(c.item_id, attrs(c.item_id), now)]
        if not dropped_by:
            kept.append(c)
        elif c.item_id in shown:
            changed.update(dropped_by)

    def passes(item_id: str) -> bool:
        return not any(r.drops(item_id, attrs(item_id), now) for r in filters)

    offered = {c.item_id for c in ranked}
    pins = sorted((p for p in rule_set.of(PIN) if p.item_id and p.position <= k
                   and (p.item_id in offered or admit(p.item_id)) and passes(p.item_id)),
                  key=lambda p: (p.position, p.seq))
    first: dict[str | None, Rule] = {}
    for p in pins:  # an item pinned twice: its first pin (lowest position, then oldest)
        first.setdefault(p.item_id, p)
    pins = list(first.values())
    pinned = {p.item_id for p in pins}
    ordered = _boosted(kept, rule_set, attrs, k, now, changed)
    free = [c for c in ordered if c.item_id not in pinned]
    slots = k - len(pinned)
    top = _promoted(free, rule_set.of(PROMOTE), attrs, k, slots, now, changed)
    return _pinned(top, pins, ordered, changed)[:k], [
        r.rule_id for r in rule_set.rules if r.rule_id in changed]


def _boosted(kept: list[Scored], rule_set: RuleSet, attrs: Callable[[str], ItemAttributes],
             k: int, now: float, changed: set[str]) -> list[Scored]:
    shifts = [*rule_set.of(BOOST), *rule_set.of(BURY)]
    if not shifts:
        return kept
    n = len(kept)
    keyed = []
    hits: dict[str, list[Rule]] = {}  # each item's matching boosts and buries, matched once
    for i, c in enumerate(kept):
        place = 1.0 - i / n
        a = attrs(c.item_id)
        matched = hits[c.item_id] = [r for r in shifts if r.match.selects(c.item_id, a, now)]
        for r in matched:
            place += r.weight if r.action == BOOST else -r.weight
        keyed.append((-place, i, c))
    keyed.sort(key=lambda t: (t[0], t[1]))
    ordered = [c for _, _, c in keyed]
    for after, (_, was, c) in enumerate(keyed):
        if after == was:
            continue
        for r in hits[c.item_id]:
            moved = (after < was and after < k) if r.action == BOOST else (
                after > was and was < k)
            if moved:
                changed.add(r.rule_id)
    return ordered


def promotion_slots(share: float, k: int) -> int:
    """The slots a promotion is owed in a list of `k`: at least one."""
    return max(1, math.floor(share * k + 1e-9))


def _promoted(free: list[Scored], promotions: Iterable[Rule],
              attrs: Callable[[str], ItemAttributes], k: int, slots: int, now: float,
              changed: set[str]) -> list[Scored]:
    top = free[:max(slots, 0)]
    rest = free[len(top):]
    held: set[str] = set()  # what earlier promotions own: never displaced by a later one
    forced: list[Scored] = []
    for rule in promotions:
        ours = {c.item_id for c in free if rule.match.selects(c.item_id, attrs(c.item_id), now)}
        owed = min(promotion_slots(rule.share, k), len(top))
        have = sum(1 for c in top if c.item_id in ours)
        extra = [c for c in rest if c.item_id in ours]
        while have < owed and extra:
            victim = next((i for i in range(len(top) - 1, -1, -1)
                           if top[i].item_id not in ours and top[i].item_id not in held), None)
            if victim is None:
                break
            incoming = extra.pop(0)
            rest.remove(incoming)
            top.pop(victim)
            forced.append(incoming)
            top.append(incoming)
            have += 1
            changed.add(rule.rule_id)
        held |= ours
    if not forced:
        return top
    # forced items take evenly spaced slots; the others keep their order around them
    brought = {c.item_id for c in forced}
    natural = [c for c in top if c.item_id not in brought]
    out: list[Scored | None] = [None] * len(top)
    for j, c in enumerate(forced):
        out[min(int((j + 0.5) * len(top) / len(forced)), len(top) - 1)] = c
    fill = iter(natural)
    return [c if c is not None else next(fill) for c in out]


def _pinned(top: list[Scored], pins: list[Rule], ordered: list[Scored],
            changed: set[str]) -> list[Scored]:
    if not pins:
        return top
    scores = {c.item_id: c.score for c in ordered}
    before = {c.item_id: i for i, c in enumerate(ordered)}
    out = list(top)
    last = -1
    for pin in pins:
        assert pin.item_id is not None  # pins without an item were left out
        at = min(max(pin.position - 1, last + 1), len(out))
        neighbour = out[at].score if at < len(out) else (out[-1].score if out else 0.0)
        out.insert(at, Scored(pin.item_id, scores.get(pin.item_id, neighbour)))
        last = at
        if before.get(pin.item_id) != at:
            changed.add(pin.rule_id)
    return out
