"""Ids in keys: escaped, in their own braced segment, never a system key, never each other."""

from __future__ import annotations

import inspect
import re
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from features import community, inventory, kpis, users
from features.keys import escape, field, hash_tag, tag
from tests.unit.features.test_key_families import builders

HOSTILE = ["ack", "*", ":", "{x}", "%", "%3A", "}{", "a:b", "a b", "|", "x" * 128,
           "ünï-cødé 商品", "\u200b", "\u202eevil", "queue", "lowstock", "total", ""]
SYSTEM = [inventory.LOW_STOCK_KEY, inventory.LOW_STOCK_ACK_KEY, community.MODERATION_QUEUE_KEY,
          kpis.TOTALS_KEY]
ids = st.text(min_size=0, max_size=140)


@given(ids)
@settings(max_examples=300, deadline=None)
def test_escape_is_reversible_and_leaves_no_separator(segment: str) -> None:
    escaped = escape(segment)
    assert not set(escaped) & set(":{}| ")
    assert all(ch.isprintable() for ch in escaped)
    assert unquote(escaped, errors="surrogatepass") == segment  # injective


@given(ids, ids)
@settings(max_examples=300, deadline=None)
def test_two_ids_never_share_a_key(a: str, b: str) -> None:
    if a != b:
        assert inventory.inventory_key(a) != inventory.inventory_key(b)
        assert users.recent_key("commerce", a) != users.recent_key("commerce", b)
        assert field(a, "posts") != field(b, "posts")


@given(ids)
@settings(max_examples=200, deadline=None)
def test_an_entity_key_hashes_on_its_id(entity: str) -> None:
    assert hash_tag(inventory.inventory_key(entity)) == (escape(entity) or "%")
    keys = [inventory.inventory_key(entity), inventory.sold_key(entity, 3),
            inventory.alert_key(entity), inventory.lowstock_outbox_key(entity),
            "once:" + inventory.alert_claim(entity, 2), "once:" + inventory.clear_claim(entity, 2)]
    assert len({hash_tag(k) for k in keys}) == 1


def test_hostile_ids_reach_no_system_key_and_no_other_family() -> None:
    """Every builder, every string parameter, every hostile id: all keys distinct."""
    made: dict[str, tuple[str, int, str]] = {}
    for name, builder in builders().items():
        params = [p for p in inspect.signature(builder).parameters.values() if p.name != "value"]
        for position in range(len(params)):
            if params[position].annotation != "str":  # ints (minutes, days) are typed
                continue
            for entity in HOSTILE:
                args = [entity if i == position else "7" for i in range(len(params))]
                key = builder(*args)
                assert key not in SYSTEM, (name, entity)
                assert key.count("{") <= 1 and key.count("}") <= 1, key
                previous = made.setdefault(key, (name, position, entity))
                assert previous == (name, position, entity), f"{key}: {previous}, {entity!r}"
    assert inventory.alert_key("ack") == "alerts:lowstock:{ack}"
    assert all("{" not in system for system in SYSTEM)


def test_plain_ids_stay_readable() -> None:
    assert tag("P-000123") == "{P-000123}"
    assert escape("ünï") == "ünï"
    assert escape("a:b{c}") == "a%3Ab%7Bc%7D"
    assert escape("\u200b") == "%E2%80%8B"
    assert re.fullmatch(r"\{[^:{}]+\}", tag("x" * 128))
