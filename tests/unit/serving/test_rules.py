"""apply_rules: its invariants over random candidate lists and rule sets (hypothesis), and one
example of each kind of rule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.filters import Scored
from serving.recommend.rules import (
    BOOST,
    BURY,
    FILTER,
    INCLUDE,
    PIN,
    PROMOTE,
    ItemAttributes,
    Match,
    Rule,
    RuleSet,
    apply_rules,
    promotion_slots,
)

KINDS = ("product", "post", "episode")
CATEGORIES = ("home", "toys", "garden")
SELLERS = ("s1", "s2", "s3")

item_ids = st.builds(lambda kind, n: f"{kind}:{n}", st.sampled_from(KINDS),
                     st.integers(0, 40))
attributes = st.builds(ItemAttributes, category=st.sampled_from(CATEGORIES),
                       price=st.floats(0, 100), sellers=st.frozensets(st.sampled_from(SELLERS),
                                                                       max_size=2),
                       published_at=st.one_of(st.none(), st.floats(0, 1000)),
                       known=st.sampled_from((True, True, True, False)))
matches = st.builds(
    Match, kinds=st.frozensets(st.sampled_from(KINDS), max_size=2),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
    sellers=st.frozensets(st.sampled_from(SELLERS), max_size=1),
    price_min=st.one_of(st.none(), st.floats(0, 50)),
    price_max=st.one_of(st.none(), st.floats(50, 100)),
    max_age_s=st.one_of(st.none(), st.floats(0, 1000)))


def candidate_lists(min_size: int = 0) -> st.SearchStrategy[list[Scored]]:
    return st.lists(item_ids, min_size=min_size, max_size=60, unique=True).map(
        lambda ids: [Scored(i, float(len(ids) - n)) for n, i in enumerate(ids)])


def attribute_maps() -> st.SearchStrategy[dict[str, ItemAttributes]]:
    return st.dictionaries(item_ids, attributes, max_size=80)


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    action = draw(st.sampled_from((BOOST, BURY, FILTER, PIN, PROMOTE)))
    n = draw(st.integers(0, 10_000))
    return Rule(rule_id=f"r{n}", action=action, match=draw(matches),
                weight=draw(st.floats(0.01, 5)), mode=draw(st.sampled_from((None, INCLUDE))),
                item_id=draw(item_ids), position=draw(st.integers(1, 20)),
                share=draw(st.floats(0.05, 1)), seq=n)


rule_sets = st.lists(rules(), max_size=6, unique_by=lambda r: r.rule_id).map(
    lambda rs: RuleSet(revision=1, rules=tuple(rs)))
NOW = 1000.0


def ids(items: list[Scored]) -> list[str]:
    return [s.item_id for s in items]


@settings(max_examples=300, deadline=None)
@given(candidate_lists(), rule_sets, attribute_maps(), st.integers(1, 30))
def test_at_most_k_items_never_twice_and_only_known_rules_named(cands, rule_set, attrs, k):
    out, applied = apply_rules(cands, rule_set, attrs, k, now=NOW)
    assert len(out) <= k
    assert len(set(ids(out))) == len(out)
    assert set(applied) <= {r.rule_id for r in rule_set.rules}
    pinned = {r.item_id for r in rule_set.rules if r.action == PIN}
    assert set(ids(out)) <= {c.item_id for c in cands} | pinned


@settings(max_examples=300, deadline=None)
@given(candidate_lists(), rule_sets, attribute_maps(), st.integers(1, 30))
def test_a_filter_never_lets_a_filtered_item_through(cands, rule_set, attrs, k):
    out, _ = apply_rules(cands, rule_set, attrs, k, now=NOW)
    for rule in rule_set.rules:
        if rule.action == FILTER:
            for s in out:
                assert not rule.drops(s.item_id, attrs.get(s.item_id, ItemAttributes()), NOW)


@settings(max_examples=300, deadline=None)
@given(candidate_lists(min_size=30), st.lists(item_ids, min_size=1, max_size=3, unique=True),
       st.lists(st.integers(1, 10), min_size=3, max_size=3, unique=True), st.integers(10, 30))
def test_a_pin_lands_at_its_position(cands, pinned, positions, k):
    pins = tuple(Rule(rule_id=f"pin{n}", action=PIN, item_id=item, position=pos, seq=n)
                 for n, (item, pos) in enumerate(zip(pinned, positions, strict=False)))
    out, _ = apply_rules(cands, RuleSet(rules=pins), {}, k)
    for pin in pins:
        assert out[pin.position - 1].item_id == pin.item_id
    assert len(out) == k


@settings(max_examples=300, deadline=None)
@given(candidate_lists(min_size=20), st.sampled_from(KINDS), st.floats(0.05, 1),
       st.integers(1, 20))
def test_a_promotion_gets_its_share_when_it_has_enough_candidates(cands, kind, share, k):
    rule = Rule(rule_id="promo", action=PROMOTE, match=Match(kinds=frozenset({kind})),
                share=share)
    out, _ = apply_rules(cands, RuleSet(rules=(rule,)), {}, k)
    promoted = [c for c in cands if c.item_id.startswith(kind + ":")]
    owed = min(promotion_slots(share, k), len(promoted), len(out))
    assert sum(1 for s in out if s.item_id.startswith(kind + ":")) >= owed
    assert len(out) == min(k, len(cands))


@settings(max_examples=300, deadline=None)
@given(candidate_lists(min_size=1), matches, attribute_maps(), st.floats(0.01, 5),
       st.integers(1, 60))
def test_boosts_and_buries_are_monotone(cands, match, attrs, weight, k):
    def place(rule_set: RuleSet) -> dict[str, int]:
        out, _ = apply_rules(cands, rule_set, attrs, len(cands))
        return {s.item_id: n for n, s in enumerate(out)}

    plain = place(RuleSet())
    assert plain == {c.item_id: n for n, c in enumerate(cands)}  # no rules: order untouched
    selected = {c.item_id for c in cands
                if match.selects(c.item_id, attrs.get(c.item_id, ItemAttributes()), 0.0)}
    for action, better in ((BOOST, True), (BURY, False)):
        moved = place(RuleSet(rules=(Rule(rule_id="r", action=action, match=match,
                                          weight=weight),)))
        for item in selected:
            assert (moved[item] <= plain[item]) if better else (moved[item] >= plain[item])
        # among themselves, matched and unmatched items keep their order
        for group in (selected, set(plain) - selected):
            order = sorted(group, key=plain.__getitem__)
            assert sorted(group, key=moved.__getitem__) == order


def test_each_kind_of_rule_by_example():
    cands = [Scored(f"product:{n}", 10.0 - n) for n in range(10)] + [
        Scored("post:a", 0.5), Scored("post:b", 0.4)]
    attrs = {f"product:{n}": ItemAttributes(category="toys" if n % 2 else "home",
                                            price=float(n * 10), sellers=frozenset({"s1"}))
             for n in range(10)}
    rule_set = RuleSet(rules=(
        Rule(rule_id="no-cheap", action=FILTER, match=Match(price_max=15.0)),
        Rule(rule_id="toys-up", action=BOOST, match=Match(categories=frozenset({"toys"})),
             weight=1.0),
        Rule(rule_id="posts", action=PROMOTE, match=Match(kinds=frozenset({"post"})),
             share=0.2),
        Rule(rule_id="hero", action=PIN, item_id="product:99", position=1),
        Rule(rule_id="idle", action=BURY, match=Match(sellers=frozenset({"nobody"})),
             weight=1.0),
    ))
    out, applied = apply_rules(cands, rule_set, attrs, 6)
    got = ids(out)
    assert got[0] == "product:99"
    assert "product:0" not in got and "product:1" not in got  # price ≤ 15 filtered
    assert got[1:3] == ["product:3", "product:5"]  # toys first
    assert {"post:a"} <= set(got)  # 20% of 6 slots: one post
    assert applied == ["no-cheap", "toys-up", "posts", "hero"]  # the idle bury changed nothing
    # a pin the request may not serve (excluded, another domain) is left out
    out, applied = apply_rules(cands, rule_set, attrs, 6, admit=lambda i: i != "product:99")
    assert "product:99" not in ids(out) and "hero" not in applied


def test_an_item_pinned_twice_takes_its_first_pin():
    cands = [Scored(f"product:{n}", 1.0) for n in range(6)]
    rule_set = RuleSet(rules=(Rule(rule_id="late", action=PIN, item_id="product:5", position=4),
                              Rule(rule_id="early", action=PIN, item_id="product:5",
                                   position=2, seq=1),
                              Rule(rule_id="other", action=PIN, item_id="product:4",
                                   position=1, seq=2)))
    out, applied = apply_rules(cands, rule_set, {}, 5)
    assert ids(out) == ["product:4", "product:5", "product:0", "product:1", "product:2"]
    assert applied == ["early", "other"]
