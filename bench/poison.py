"""Hostile records for the source topics, as an outside client would produce them.

`poisons()`: records every worker must dead-letter (and keep running): dates past the
largest datetime, numbers no store holds, 200 KB of control characters, invalid UTF-8, deep
nesting, unknown types, non-JSON, empty values, null keys. `hostile_events()`: events the
contracts accept although their ids and values sit where stores break (a product named `ack`
or `{x}`, 128-character and non-ASCII ids, the largest amount and stock, the oldest date):
they must be applied, exactly, like any other event.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from contracts.envelope import HORIZON, MAX_AMOUNT, MAX_ID_LENGTH, MAX_STOCK
from contracts.topics import Topic, key_for, topic_for

CONTROL = bytes(range(32))


@dataclass(frozen=True, slots=True)
class Record:
    """One Kafka record to produce; `poison` names what is wrong with it (None: a valid event,
    `event` is its dict). `partition`: None to partition by key."""

    topic: str
    key: bytes | None
    value: bytes
    poison: str | None = None
    event: dict[str, Any] | None = None
    partition: int | None = None


def record_of(event: dict[str, Any], *, null_key: bool = False) -> Record:
    """A valid event as its producer sends it: keyed by the contract's partition key, or with
    no key at all."""
    return Record(topic=topic_for(event), key=None if null_key else key_for(event),
                  value=orjson.dumps(event), event=event)


def _envelope(event_type: str, now: datetime, **fields: Any) -> dict[str, Any]:
    user = f"u-poison-{uuid.uuid4().hex[:8]}"
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": now.isoformat(), "user_id": user, "session_id": user,
            "schema_version": 1, **fields}


def _viewed(now: datetime, **over: Any) -> dict[str, Any]:
    return {**_envelope("product_viewed", now, product_id="P00001", category="home",
                        price=9.99), **over}


def _order(now: datetime, total: float, **over: Any) -> dict[str, Any]:
    return {**_envelope("order_placed", now, order_id=f"o-{uuid.uuid4().hex[:12]}",
                        lines=[{"product_id": "P00001", "quantity": 1, "unit_price": 1.0}],
                        total=total, currency="EUR"), **over}


def _json(name: str, event: dict[str, Any], topic: str = Topic.commerce) -> Record:
    # stdlib json: it writes integers beyond 64 bits and NaN, which orjson refuses to
    return Record(topic=topic, key=b"poison", value=json.dumps(event).encode(), poison=name)


def _raw(name: str, value: bytes, *, topic: str = Topic.commerce,
         key: bytes | None = b"poison") -> Record:
    return Record(topic=topic, key=key, value=value, poison=name)


def poisons(now: datetime | None = None) -> list[Record]:
    """One record of each kind the worker must dead-letter, dated around `now`."""
    now = now or datetime.now(UTC)
    nested: Any = "leaf"
    for _ in range(300):
        nested = {"n": nested}
    inventory = _envelope("inventory_adjusted", now, product_id="P00001", reason="restock",
                          on_hand=1)
    return [
        _json("year-9999", _viewed(now, occurred_at="9999-12-31T23:59:59-14:00")),
        _json("year-0001", _viewed(now, occurred_at="0001-01-01T00:00:00+14:00")),
        _json("before-horizon", _viewed(now, occurred_at="1989-12-31T23:59:59+00:00")),
        _json("12-hours-ahead", _viewed(now, occurred_at=(now + timedelta(hours=12))
                                        .isoformat())),
        _json("naive-date", _viewed(now, occurred_at="2024-01-01T00:00:00")),
        _json("total-1e18", _order(now, total=1e18)),
        _json("negative-total", _order(now, total=-0.01)),
        _json("delta-10^30", {**inventory, "delta": 10**30}),
        _json("on-hand-10^19", {**inventory, "delta": 1, "on_hand": 10**19}),
        _json("price-nan", _viewed(now, price=float("nan"))),
        _json("price-infinity", _viewed(now, price=float("inf"))),
        _json("quantity-10^12", _envelope("cart_item_added", now, product_id="P00001",
                                          quantity=10**12, unit_price=1.0)),
        _json("control-character-id", _viewed(now, product_id="P\x00\x01\x7f")),
        _json("id-too-long", _viewed(now, product_id="p" * (MAX_ID_LENGTH + 1))),
        _json("100-kb-control-query", _envelope("product_searched", now,
                                                query=(CONTROL * 3200).decode(), results=1)),
        _json("deep-nesting-field", _viewed(now, extra=nested)),
        _json("unknown-type", _envelope("teleported", now)),
        _json("unknown-type-community", _envelope("teleported", now), Topic.community),
        _json("unknown-type-podcast", _envelope("teleported", now), Topic.podcast),
        _json("bad-uuid", _viewed(now, event_id="not-a-uuid")),
        _json("position-1e308", _envelope("episode_played", now, episode_id="e1", show_id="s1",
                                          position_s=1e308, duration_s=60.0), Topic.podcast),
        _json("vote-10^30", _envelope("vote_cast", now, target_id="p0", target_type="post",
                                      value=10**30), Topic.community),
        _raw("200-kb-control-characters", CONTROL * 6400),
        _raw("invalid-utf-8", b'{"event_type": "product_viewed", "product_id": "\xff\xfe\xc0"}'),
        _raw("deep-nesting", b"[" * 50_000 + b"]" * 50_000),
        _raw("not-json", b"hello, world"),
        _raw("truncated-json", b'{"event_type": "product_viewed", "event_id": '),
        _raw("json-array", b"[1, 2, 3]"),
        _raw("json-string", b'"product_viewed"'),
        _raw("json-null", b"null"),
        _raw("empty-value", b""),
        _raw("null-key", b"not json either", key=None),
        _raw("null-key-empty-value", b"", key=None, topic=Topic.recommendation),
        _raw("binary-key", b"\x00", key=b"\xff\x00\xfe"),
    ]


HOSTILE_IDS = ("ack", "*", ":", "{x}", "}{", "stats:total", "a" * MAX_ID_LENGTH,
               "bière-éàü-日本語-🍺", "low_stock", "inventory:P00001")


def hostile_events(now: datetime | None = None) -> list[dict[str, Any]]:
    """Valid events on hostile product ids and at the contracts' edges, in a consistent
    order per product (stock first, then sales)."""
    now = now or datetime.now(UTC)
    out: list[dict[str, Any]] = []
    for i, pid in enumerate(HOSTILE_IDS):
        out.append(_envelope("inventory_adjusted", now, product_id=pid, delta=50 + i,
                             reason="restock", on_hand=50 + i))
        out.append(_viewed(now, product_id=pid, category=pid))
        out.append(_order(now, total=2.5, lines=[
            {"product_id": pid, "quantity": 2, "unit_price": 1.25}]))
        out.append(_envelope("inventory_adjusted", now, product_id=pid, delta=-2,
                             reason="sale", on_hand=48 + i))
    out.append(_envelope("inventory_adjusted", now, product_id="max-stock", delta=MAX_STOCK,
                         reason="restock", on_hand=MAX_STOCK))
    out.append(_order(now, total=float(MAX_AMOUNT)))
    out.append(_viewed(now, occurred_at=HORIZON.isoformat()))
    minus_14 = timezone(timedelta(hours=-14))  # the offset of the report in issue 11
    out.append(_viewed(now, occurred_at=(now + timedelta(seconds=60)).astimezone(
        minus_14).isoformat()))
    return out


def interleave(normal: list[Record], special: list[Record], *, seed: int) -> list[Record]:
    """`special` spread over `normal` at reproducible positions, keeping each one's order."""
    rng = random.Random(seed)
    taken = set(rng.sample(range(len(normal) + len(special)), len(special)))
    it_normal, it_special = iter(normal), iter(special)
    return [next(it_special) if i in taken else next(it_normal)
            for i in range(len(normal) + len(special))]
