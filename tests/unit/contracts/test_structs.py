"""The fast decoder (contracts/structs.py) never disagrees with the pydantic registry.

For any bytes, `FastDecoder.parse` gives what `Registry.parse` gives: the same values when
pydantic accepts, the same `EventError` (field and reason) when it refuses. And the structs
alone refuse everything issue 11 bounds (amounts, ids, the time window, unknown fields), so
the fast path takes nothing pydantic would refuse.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import EventError
from contracts.envelope import MAX_AMOUNT, MAX_ID_LENGTH
from contracts.registry import EVENTS
from contracts.structs import DECODER, as_fields, structs_for
from launch.simulator.traffic import Traffic

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
SAMPLES: list[dict[str, Any]] = []
_traffic = Traffic(seed=7)
while len({e["event_type"] for e in SAMPLES}) < 20 and len(SAMPLES) < 20_000:
    SAMPLES.append(_traffic.next())  # type: ignore[arg-type]
BY_TYPE = {e["event_type"]: e for e in SAMPLES}
BASE = list(BY_TYPE.values())


def outcome(parse: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", as_fields(parse(raw, now=NOW))
    except EventError as exc:
        return "refused", (exc.field, exc.reason)


def same(raw: bytes) -> None:
    assert outcome(DECODER.parse, raw) == outcome(EVENTS.parse, raw)


def at(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "occurred_at": "2026-06-01T11:00:00+00:00"}


ODD_STRINGS = st.one_of(
    st.text(max_size=140), st.sampled_from(["", " ", "a\n", "\n", "a\x00", "a\x7f", "é" * 129,
                                            "x" * 128, "x" * 129, "USD", "usd", "USD\n", "US",
                                            "card", "post", "\u2028", "a\\b", '"']))
ODD_NUMBERS = st.one_of(
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1, -1, 5, 6, MAX_AMOUNT, MAX_AMOUNT + 0.01, 1e400, 10**9 + 1,
                     100_000, 100_001, True, False, None, "5", "1.0", 1.0]))
ODD_TIMES = st.one_of(
    st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2027, 1, 1),
                 timezones=st.sampled_from([UTC, None, *(
                     timezone(timedelta(hours=h)) for h in (-14, 5, 14))])
                 ).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-06-01T12:04:59Z", "2026-06-01T12:05:01Z", "2026-06-01 11:00:00Z",
                     "2026-06-01T11:00:00", "1989-12-31T23:59:59Z", "2026-06-01T11:00:00.1234567Z",
                     "2026-06-01t11:00:00z", 1780000000, "2026-06-01T11:59:60Z",
                     "2026-06-01T11:00:00+24:00", "2026-06-01T11:00:00-00:00",
                     "2026-06-01T11:00:00.5Z", "2026-06-01T11:00:00,5Z", "2026-06-01T11:00Z",
                     "2026-06-01T11:00:00+0500", "2026-06-01T11:00:00.999999999+05:00",
                     "9999-12-31T23:59:59-14:00"]))
VALUES = st.one_of(ODD_STRINGS, ODD_NUMBERS, ODD_TIMES, st.none(),
                   st.lists(st.text(max_size=5), max_size=3))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    event = at(dict(draw(st.sampled_from(BASE))))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([*event, "extra", "event_type"]))
        if draw(st.booleans()) and name in event and name != "event_type":
            del event[name]
        elif name == "occurred_at":
            event[name] = draw(ODD_TIMES)
        elif name == "event_type":
            event[name] = draw(st.sampled_from([*BY_TYPE, "nope", 1]))
        elif name == "lines" and isinstance(event.get("lines"), list):
            line = dict(event["lines"][0])
            line[draw(st.sampled_from(["product_id", "quantity", "unit_price", "x"]))] = \
                draw(VALUES)
            event["lines"] = [line]
        else:
            event[name] = draw(VALUES)
    # json, not orjson: it writes any int, inf as Infinity, and \\u escapes or raw UTF-8
    return json.dumps(event, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


def test_every_type_of_the_registry_has_a_struct() -> None:
    assert set(structs_for(EVENTS)) == EVENTS.types


@pytest.mark.parametrize("event", BASE, ids=[e["event_type"] for e in BASE])
def test_the_simulators_events_decode_the_same_and_on_the_fast_path(event: dict[str, Any]
                                                                    ) -> None:
    raw = orjson.dumps(at(event))
    same(raw)
    assert isinstance(DECODER.parse(raw, now=NOW), msgspec.Struct)
    assert DECODER.parse(raw, now=NOW).event_type == event["event_type"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_any_bytes_decode_as_pydantic_decides(raw: bytes) -> None:
    same(raw)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_is_refused_alike(raw: bytes) -> None:
    same(raw)


VIEW = at(BY_TYPE["product_viewed"])
BOUNDED = [
    {**VIEW, "price": MAX_AMOUNT + 1}, {**VIEW, "price": -0.01}, {**VIEW, "price": 1e400},
    {**VIEW, "product_id": "x" * (MAX_ID_LENGTH + 1)}, {**VIEW, "product_id": ""},
    {**VIEW, "user_id": "a\x00b"}, {**VIEW, "user_id": "a\x7f"}, {**VIEW, "user_id": "a\n"},
    {**VIEW, "occurred_at": "1989-12-31T23:59:59+00:00"},
    {**VIEW, "occurred_at": (NOW + timedelta(seconds=301)).isoformat()},
    {**VIEW, "occurred_at": "2026-06-01T11:00:00"}, {**VIEW, "surprise": 1},
    {**VIEW, "schema_version": 2}, {**VIEW, "event_type": "nope"},
]


@pytest.mark.parametrize("event", BOUNDED)
def test_the_bounds_of_issue_11_are_refused_with_pydantics_reason(event: dict[str, Any]
                                                                  ) -> None:
    raw = orjson.dumps(event)
    with pytest.raises(EventError) as fast:
        DECODER.parse(raw, now=NOW)
    with pytest.raises(EventError) as slow:
        EVENTS.parse(raw, now=NOW)
    assert (fast.value.field, fast.value.reason) == (slow.value.field, slow.value.reason)
    assert fast.value.field != "event" or event.get("event_type") == "nope"


def test_the_structs_alone_refuse_what_is_out_of_bounds() -> None:
    """Apart from the window and the printable ids (checked before and after msgspec)."""
    for event in BOUNDED:
        if event.get("occurred_at", "").startswith(("1989", "2026-06-01T12:05")) or \
                any(c in str(event.get("user_id")) for c in "\x00\x7f\n"):
            continue
        with pytest.raises(msgspec.ValidationError):
            DECODER._decoder.decode(orjson.dumps(event))
