"""Hostile input through `Pipeline.process` on both online stores (Redis and SQLite).

Batches mix contract-valid extremes (each field's largest and smallest accepted values, dates
at the edges of every UTC offset) with what a contract refuses or cannot even parse (years 1
and 9999 at ±14:00, 100 KB of control characters, invalid UTF-8, deep nesting, random bytes,
tombstones) and duplicates. Property: `process` returns; every record is either applied
(counted by the store, in the lake spool) or dead-lettered, never both, never neither; the
next batch is processed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agents.app import contexts
from agents.lake.spool import LakeSpool
from agora.settings import WorkerSettings
from contracts import EventError, parse_event
from contracts.envelope import HORIZON, MAX_AHEAD_S, MAX_AMOUNT, MAX_QUANTITY
from contracts.events import EVENT_CLASSES
from contracts.topics import SOURCE_TOPICS, TOPIC_BY_TYPE
from features.online import OnlineStore
from features.online.redis_store import RedisStore
from features.online.sqlite_store import SqliteStore
from tests.unit.agents.pipeline_kit import (
    BAD,
    TOPIC,
    Faulty,
    MemoryTopic,
    Record,
    applied,
    as_spooled,
    pipeline,
    records,
    spooled,
    viewed,
)

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC)
_ID = "00000000-0000-4000-8000-000000000000"
# One valid event of each type (ids and times are replaced per example).
BASES: dict[str, dict[str, Any]] = {
    "product_viewed": {"product_id": "P1", "category": "home", "price": 1.0},
    "product_searched": {"query": "lamp", "results": 3},
    "cart_item_added": {"product_id": "P1", "quantity": 1, "unit_price": 2.5},
    "cart_item_removed": {"product_id": "P1", "quantity": 1, "unit_price": 2.5},
    "checkout_started": {"cart_value": 10.0},
    "order_placed": {"order_id": "o1", "lines": [
        {"product_id": "P1", "quantity": 2, "unit_price": 5.0}], "total": 10.0,
        "currency": "EUR"},
    "inventory_adjusted": {"product_id": "P1", "delta": -2, "reason": "sale", "on_hand": 3},
    "order_cancelled": {"order_id": "o1"},
    "show_unsubscribed": {"show_id": "s1"},
    "listing_created": {"listing_id": "l1", "seller_id": "u2", "product_id": "P1",
                        "price": 3.0},
}


def _envelope(event_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": _ID, "event_type": event_type, "occurred_at": NOW.isoformat(),
            "user_id": "u1", "session_id": "s1", "schema_version": 1, **fields}


def _from_traffic() -> None:
    from launch.simulator.traffic import Traffic

    traffic = Traffic(seed=11)
    for _ in range(20_000):
        ev = traffic.next()
        assert isinstance(ev, dict)
        BASES.setdefault(ev["event_type"], ev)
        if len(BASES) == len(EVENT_CLASSES):
            break


_from_traffic()


def _dumps(event: dict[str, Any]) -> bytes:
    """JSON as any client may write it: big integers, lone surrogates (invalid UTF-8)."""
    try:
        return json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except RecursionError:  # deeper than json writes: nest by hand
        return b'{"a":' * 2000 + b"1" + b"}" * 2000


def _extremes(schema: dict[str, Any]) -> list[Any]:
    """The values at and just past a JSON-schema property's bounds."""
    out: list[Any] = []
    for s in schema.get("anyOf", [schema]):
        kind = s.get("type")
        if kind in ("integer", "number"):
            for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if bound in s:
                    v = s[bound]
                    out += [v, v - 1, v + 1] if kind == "integer" else [
                        v, v * (1 + 1e-15) + 1e-9, v - 1e-9]
            out += [10**30, -(10**30), 1e308, -0.0, 2**63, 2**53 + 1]
        elif kind == "string":
            n = s.get("maxLength", 1000)
            out += ["x" * n, "x" * (n + 1), "é" * n, "\x00" * n, "\U0001f600" * min(n, 64),
                    "ack", "*", ":", "{x}", ""]
        elif kind == "array":
            out += [[], [None] * 60]
    return out


def _candidates(event_type: str) -> list[tuple[str, Any]]:
    schema = EVENT_CLASSES[event_type].model_json_schema()
    props = schema["properties"]
    pairs = [(name, v) for name, prop in props.items()
             if name not in ("event_type", "event_id") for v in _extremes(prop)]
    if "lines" in props:
        line = {"product_id": "P1", "quantity": MAX_QUANTITY, "unit_price": MAX_AMOUNT}
        pairs += [("lines", [line] * 100), ("lines", [{**line, "quantity": 0}])]
    return pairs


CANDIDATES = {t: _candidates(t) for t in EVENT_CLASSES}


def _fields(event_type: str) -> dict[str, Any]:
    return {k: v for k, v in BASES[event_type].items() if k not in ("event_id", "occurred_at")}


def _accepted(event_type: str, name: str, value: Any) -> bool:
    event = {**_envelope(event_type, {}), **_fields(event_type), name: value}
    try:
        parse_event(_dumps(event))
    except EventError:
        return False
    return True


# The extremes a contract accepts: each alone keeps its event valid.
VALID = {t: [(n, v) for n, v in pairs if _accepted(t, n, v)] for t, pairs in CANDIDATES.items()}
CONTROL_100K = "".join(chr(c) for c in range(32)) * 3200


def _dates() -> st.SearchStrategy[str]:
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    edges = [f"{d}{o}" for d in ("0001-01-01T00:00:00", "9999-12-31T23:59:59.999999",
                                 "1990-01-01T00:00:00", "1989-12-31T23:59:59.999999")
             for o in ("+14:00", "-14:00", "Z", "+00:00")]
    near_now = st.builds(lambda tz, s: (NOW + timedelta(seconds=s)).astimezone(tz).isoformat(),
                         offsets, st.sampled_from([0, -1, MAX_AHEAD_S - 5, MAX_AHEAD_S + 5,
                                                   -86_400 * 365 * 30, 3600 * 12]))
    anywhere = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(),
                         st.datetimes(), offsets)
    return st.sampled_from(edges) | near_now | anywhere


@st.composite
def valid_event(draw: st.DrawFn) -> bytes:
    """A contract-valid event at its extremes: accepted bounds, offsets of -14:00 to +14:00."""
    event_type = draw(st.sampled_from(sorted(BASES)))
    event = {**_envelope(event_type, {}), **_fields(event_type),
             "event_id": str(draw(st.uuids()))}
    if VALID[event_type]:
        event.update(draw(st.lists(st.sampled_from(VALID[event_type]), max_size=3)))
    offset = timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60))))
    ahead = draw(st.sampled_from([0.0, -1.0, MAX_AHEAD_S - 30, -(NOW - HORIZON).total_seconds()
                                  + 1, -86_400.0 * 365]))
    event["occurred_at"] = (datetime.now(UTC) + timedelta(seconds=ahead)).astimezone(
        offset).isoformat()
    return _dumps(event)


@st.composite
def event_bytes(draw: st.DrawFn) -> bytes:
    event_type = draw(st.sampled_from(sorted(BASES)))
    event = {**_envelope(event_type, {}), **_fields(event_type)}
    event["event_id"] = str(draw(st.uuids()))
    for name, value in draw(st.lists(st.sampled_from(CANDIDATES[event_type]), max_size=2)):
        event[name] = value
    if draw(st.integers(0, 2)) == 0:
        event["occurred_at"] = draw(_dates())
    hostile = draw(st.sampled_from(["none"] * 6 + ["control", "nest", "utf8", "unknown"]))
    text_fields = [k for k, v in event.items() if isinstance(v, str) and k != "event_type"]
    if hostile == "control" and text_fields:
        event[draw(st.sampled_from(text_fields))] = CONTROL_100K
    elif hostile == "nest":
        nested: Any = 1
        for _ in range(draw(st.sampled_from([10, 300, 2000]))):
            nested = {"a": nested}
        event[draw(st.sampled_from([*text_fields, "extra"]))] = nested
    elif hostile == "unknown":
        event[draw(st.text(max_size=300))] = 1
    raw = _dumps(event)
    if hostile == "utf8":
        raw = raw.replace(b'"event_id":"', b'"event_id":"\xff\xfe', 1)
    return raw


RAW = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"null", b"[]", b"{}", b"[" * 100_000 + b"]" * 100_000,
                     b"\x00" * 100_000, CONTROL_100K.encode(), b'{"event_type": 1}',
                     b"\xff" * 1000]),
    st.none(),
)
VALUES = st.one_of(valid_event(), valid_event(), event_bytes(), event_bytes(), RAW)


def _topic_of(value: bytes | None, fallback: str) -> str:
    try:
        return str(TOPIC_BY_TYPE[orjson.loads(value or b"")["event_type"]])
    except Exception:
        return fallback


@st.composite
def batches(draw: st.DrawFn) -> list[Record]:
    values: list[bytes | None] = draw(st.lists(VALUES, min_size=1, max_size=20))
    values += draw(st.lists(st.sampled_from(values), max_size=3))  # duplicates, same bytes
    out = []
    for offset, value in enumerate(values):
        fallback = draw(st.sampled_from(sorted(SOURCE_TOPICS)))
        out.append(Record(topic=_topic_of(value, fallback), partition=offset % 3,
                          offset=offset, key=b"k", value=value))
    return out


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A factory of the store under test (opened on each example's event loop)."""
    if request.param == "sqlite":
        yield lambda: SqliteStore(path=tmp_path / "online.db")
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-hostile-{uuid.uuid4().hex[:10]}:"
    yield lambda: RedisStore(url=url, prefix=prefix)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


async def _check(store: OnlineStore, batch: list[Record]) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        spool, dlq = LakeSpool(lake_root=root), MemoryTopic()
        by_topic = contexts(WorkerSettings(data_dir=root))
        pipes = {t: pipeline(ctx, store, spool, dlq) for t, ctx in by_topic.items()}
        before = {t: await applied(store, ctx.name) for t, ctx in by_topic.items()}
        for topic, p in pipes.items():
            await p.process([r for r in batch if r.topic == topic])
        letters = dlq.letters()
        dead = [(x["source"]["topic"], x["source"]["offset"]) for x in letters]
        assert len(dead) == len(set(dead)), "an event dead-lettered twice"
        assert {x["stage"] for x in letters} <= {"parse", "process"}
        live = [r for r in batch if (r.topic, r.offset) not in set(dead)]
        event("some applied" if live else "none applied")
        event("some dead-lettered in process" if any(x["stage"] == "process" for x in letters)
              else "none dead-lettered in process")
        assert Counter(spooled(spool)) == Counter(as_spooled(r.value or b"") for r in live)
        for t, ctx in by_topic.items():
            counted = await applied(store, ctx.name) - before[t]
            assert counted == sum(1 for r in live if r.topic == t), ctx.name
        # The next batch is processed.
        commerce = pipes[TOPIC]
        n = await applied(store, "commerce")
        await commerce.process(records([viewed(f"N{i}") for i in range(3)], TOPIC, 10**6))
        assert await applied(store, "commerce") == n + 3
        assert len(dlq.sent) == len(letters)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(batch=batches())
def test_every_event_is_applied_or_dead_lettered(open_store: Any, batch: list[Record]) -> None:
    async def run() -> None:
        store = open_store()
        try:
            await asyncio.wait_for(_check(store, batch), timeout=30)
        finally:
            await store.close()
    asyncio.run(run())


@pytest.mark.parametrize("step", ["writes", "huge", "refused"])
def test_logic_failing_for_one_event_dead_letters_only_it(open_store: Any, step: str,
                                                         request: pytest.FixtureRequest) -> None:
    """`refused`: a write the store itself refuses (SQLite NOT NULL, a Redis script error)."""
    exact = step != "refused" or "sqlite" in request.node.callspec.id
    async def run() -> None:
        store, root = open_store(), Path(tempfile.mkdtemp())
        try:
            dlq, spool = MemoryTopic(), LakeSpool(lake_root=root)
            p = pipeline(Faulty(step), store, spool, dlq)
            before = await applied(store, "commerce")
            raws = [viewed(BAD if i == 11 else f"P{i}", user=f"u{i}") for i in range(30)]
            await p.process(records(raws, TOPIC))
            assert [(x["source"]["offset"], x["field"]) for x in dlq.letters()] == [
                (11, "processing" if step == "writes" else "store")]
            assert len(spooled(spool)) == 29
            counted = await applied(store, "commerce") - before
            # A Redis script refused midway keeps the calls before the refusal (agents.pipeline).
            assert counted == 29 if exact else counted >= 29
        finally:
            await store.close()
            shutil.rmtree(root, ignore_errors=True)
    asyncio.run(run())
