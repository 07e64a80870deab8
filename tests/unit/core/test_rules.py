"""Merchandising rules in the core: validation by the domain, the revision each change raises."""

import time
from decimal import Decimal

import pytest

from core.domain.errors import Conflict, InvalidInput, NotFound
from core.domain.money import Money
from core.domain.rules import MAX_RULES, FilterMode, Rule, RuleAction, RuleSet
from core.service_layer import commands as c
from core.service_layer import reads
from tests.unit.core.fakes import fake_bus


def boost(**match: object) -> c.CreateRule:
    return c.CreateRule(action=RuleAction.boost, weight=1.0, match=tuple(match.items()))


def test_each_change_raises_the_revision_once():
    bus, _ = fake_bus()
    assert bus.read(reads.rule_set_revision) == 0
    first = bus.handle(boost(categories=["home"]))
    pin = bus.handle(c.CreateRule(action=RuleAction.pin, item_id="product:mug", position=1))
    assert (first["revision"], pin["revision"]) == (1, 2)
    assert bus.handle(c.SetRuleActive(rule_id=first["rule_id"], active=False))["revision"] == 3
    # unchanged: no new revision
    assert bus.handle(c.SetRuleActive(rule_id=first["rule_id"], active=False))["revision"] == 3
    assert bus.handle(c.DeleteRule(rule_id=pin["rule_id"]))["revision"] == 4
    listed = bus.read(reads.get_rule_set)
    assert listed["revision"] == bus.read(reads.rule_set_revision) == 4
    assert [(r["rule_id"], r["active"]) for r in listed["rules"]] == [(first["rule_id"], False)]


def test_unknown_rule_is_not_found():
    bus, _ = fake_bus()
    with pytest.raises(NotFound):
        bus.handle(c.DeleteRule(rule_id="rule-x"))


@pytest.mark.parametrize(("command", "field"), [
    (boost(colour="red"), "match.colour"),
    (boost(price_min=10, price_max=5), "match.price_max"),
    (boost(max_age_s=10, min_age_s=50), "match.min_age_s"),
    (c.CreateRule(action=RuleAction.boost, weight=0, match=(("kinds", ["post"]),)), "weight"),
    (c.CreateRule(action=RuleAction.pin, item_id="product:a", position=0), "position"),
    (c.CreateRule(action=RuleAction.pin, position=2), "item_id"),
    (c.CreateRule(action=RuleAction.promote, share=1.5, match=(("kinds", ["post"]),)), "share"),
    (c.CreateRule(action=RuleAction.filter, mode=FilterMode.exclude), "match"),
])
def test_the_domain_refuses_a_broken_rule_naming_the_field(command, field):
    bus, _ = fake_bus()
    with pytest.raises(InvalidInput) as refused:
        bus.handle(command)
    assert refused.value.field == field
    assert bus.read(reads.rule_set_revision) == 0  # nothing committed


def test_a_rule_set_is_bounded():
    rules = RuleSet()
    for n in range(MAX_RULES):
        rules.add(Rule(rule_id=f"r{n}", rule_set_id="default", action=RuleAction.pin,
                       item_id="product:a", position=1))
    with pytest.raises(Conflict):
        rules.add(Rule(rule_id="one-more", rule_set_id="default", action=RuleAction.pin,
                       item_id="product:a", position=1))


def test_item_attributes_from_the_catalogue():
    bus, _ = fake_bus()
    usd = Money(amount=Decimal("4.50"), currency="USD")
    bus.handle(c.UpsertProduct(sku="mug", title="Mug", price=usd, category="home"))
    bus.handle(c.CreateListing(seller_id="s1", sku="mug", price=usd))
    bus.handle(c.CreateListing(seller_id="s0", sku="mug", price=usd))
    found = bus.read(reads.item_attributes, item_ids=["product:mug", "product:none", "post:x"])
    published = found["product:mug"].pop("published_at")
    assert found == {"product:mug": {"category": "home", "price": 4.5, "sellers": ["s0", "s1"]}}
    assert abs(published - time.time()) < 60  # dated by the catalogue when created
