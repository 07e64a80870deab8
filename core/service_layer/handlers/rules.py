"""Merchandising rule handlers: each change raises the rule set's revision in its transaction."""

from __future__ import annotations

from collections.abc import Callable

from core.domain.rules import DEFAULT_RULE_SET, Rule, RuleSet
from core.service_layer import commands, views
from core.service_layer.unit_of_work import UnitOfWork


def _rule_set(uow: UnitOfWork) -> RuleSet:
    # Row-locked: concurrent changes queue, so each revision is given once (the ORM's
    # version column also refuses a stale write where the lock is not honoured).
    found = uow.rule_sets.get(DEFAULT_RULE_SET, for_update=True)
    if found is None:
        found = RuleSet(rule_set_id=DEFAULT_RULE_SET)
        uow.rule_sets.add(found)
    return found


def create_rule(cmd: commands.CreateRule, uow: UnitOfWork,
                new_id: Callable[[], str]) -> views.View:
    rule = Rule(rule_id=f"rule-{new_id()}", rule_set_id=DEFAULT_RULE_SET, action=cmd.action,
                name=cmd.name, match=dict(cmd.match), weight=cmd.weight, mode=cmd.mode,
                item_id=cmd.item_id, position=cmd.position, share=cmd.share,
                active=cmd.active)
    rule_set = _rule_set(uow)
    rule_set.add(rule)
    return views.rule(rule, revision=rule_set.revision)


def set_rule_active(cmd: commands.SetRuleActive, uow: UnitOfWork) -> views.View:
    rule_set = _rule_set(uow)
    rule = rule_set.set_active(cmd.rule_id, cmd.active)
    return views.rule(rule, revision=rule_set.revision)


def delete_rule(cmd: commands.DeleteRule, uow: UnitOfWork) -> views.View:
    rule_set = _rule_set(uow)
    rule_set.remove(cmd.rule_id)
    return {"rule_id": cmd.rule_id, "revision": rule_set.revision}
