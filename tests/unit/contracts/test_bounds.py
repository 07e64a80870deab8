"""The contracts' bounds: the edges of every bounded field, the `occurred_at` window, and a
property over hostile events (extreme numbers, dates at the edges of every offset, huge and
control-character strings, invalid UTF-8, deep nesting, duplicate keys): `parse_event` returns
an event inside the documented bounds, or raises `EventError` naming a real field."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import EventError, dump_event, parse_event
from contracts.envelope import (
    HORIZON,
    MAX_AHEAD_S,
    MAX_AMOUNT,
    MAX_DURATION_S,
    MAX_ID_LENGTH,
    MAX_QUANTITY,
    MAX_STOCK,
    MAX_TEXT_LENGTH,
    window_context,
)
from contracts.events import EVENT_CLASSES, OrderLine
from tests.unit.contracts.test_events import events

KAFKA_MESSAGE_MAX_BYTES = 1_048_576  # Kafka's default message.max.bytes
ENVELOPE = ("event_id", "event_type", "occurred_at", "schema_version", "session_id", "user_id")
AMOUNT_FIELDS = {"price", "unit_price", "total", "amount", "cart_value"}


def _base(event_type: str, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(), **fields}


def _order(**over: Any) -> dict[str, Any]:
    fields = {"order_id": "o1", "total": 3.0, "currency": "EUR",
              "lines": [{"product_id": "P1", "quantity": 1, "unit_price": 3.0}]}
    return _base("order_placed", **{**fields, **over})


def _stock(**over: Any) -> dict[str, Any]:
    return _base("inventory_adjusted", **{"product_id": "P1", "delta": -1, "reason": "sale",
                                          "on_hand": 5, **over})


def _viewed(**over: Any) -> dict[str, Any]:
    return _base("product_viewed", **{"product_id": "P1", "category": "home", "price": 1.0,
                                      **over})


def _played(**over: Any) -> dict[str, Any]:
    return _base("episode_played", **{"episode_id": "e1", "show_id": "s1", "position_s": 1.0,
                                      "duration_s": 60.0, **over})


def _post(**over: Any) -> dict[str, Any]:
    return _base("post_created", **{"post_id": "p1", "community_id": "c1", "title": "t", **over})


EDGES = [  # (event, the field refused or None when accepted)
    (_viewed(price=MAX_AMOUNT), None),
    (_viewed(price=math.nextafter(MAX_AMOUNT, math.inf)), "price"),
    (_viewed(price=1e18), "price"),
    (_viewed(price=-0.01), "price"),
    (_order(total=1e18), "total"),
    (_order(lines=[{"product_id": "P1", "quantity": MAX_QUANTITY, "unit_price": 1}]), None),
    (_order(lines=[{"product_id": "P1", "quantity": MAX_QUANTITY + 1, "unit_price": 1}]),
     "lines.0.quantity"),
    (_order(lines=[{"product_id": "P1", "quantity": 1, "unit_price": 1}] * 1000), None),
    (_order(lines=[{"product_id": "P1", "quantity": 1, "unit_price": 1}] * 1001), "lines"),
    (_stock(delta=MAX_STOCK), None),
    (_stock(delta=-MAX_STOCK), None),
    (_stock(delta=MAX_STOCK + 1), "delta"),
    (_stock(delta=-MAX_STOCK - 1), "delta"),
    (_stock(delta=10**30), "delta"),
    (_stock(on_hand=MAX_STOCK), None),
    (_stock(on_hand=MAX_STOCK + 1), "on_hand"),
    (_base("product_searched", query="mug", results=10**9), None),
    (_base("product_searched", query="mug", results=10**9 + 1), "results"),
    (_played(position_s=MAX_DURATION_S, duration_s=MAX_DURATION_S), None),
    (_played(position_s=MAX_DURATION_S * 2), "position_s"),
    (_played(duration_s=MAX_DURATION_S + 1), "duration_s"),
    (_viewed(product_id="p" * MAX_ID_LENGTH), None),
    (_viewed(product_id="p" * (MAX_ID_LENGTH + 1)), "product_id"),
    (_viewed(product_id="a\x00b"), "product_id"),
    (_viewed(category="home\x7f"), "category"),
    (_viewed(user_id="u\n1"), "user_id"),
    (_post(tags=["t"] * 50), None),
    (_post(tags=["t"] * 51), "tags"),
    (_post(body="\x00" * MAX_TEXT_LENGTH), None),  # texts may hold anything, bounded
    (_post(body="b" * (MAX_TEXT_LENGTH + 1)), "body"),
    (_post(title="t" * 1001), "title"),
    (_base("payment_failed", order_id="o1", amount=1, method="card", reason="r" * 1001),
     "reason"),
    (_base("user_profile_updated", fields=["f"] * 101), "fields"),
    (_base("recommendation_served", request_id="r", surface="home", model="m", variant="v",
           items=["product:p"] * 1001), "items"),
]


@pytest.mark.parametrize(("payload", "field"), EDGES)
def test_the_edges_of_every_bound(payload: dict[str, Any], field: str | None) -> None:
    for raw in (payload, json.dumps(payload).encode()):
        if field is None:
            parse_event(raw)
            continue
        with pytest.raises(EventError) as err:
            parse_event(raw)
        assert err.value.field == field


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400"])
def test_non_finite_amounts_are_refused(token: bytes) -> None:
    raw = json.dumps(_viewed(price=123.25)).encode().replace(b"123.25", token)
    with pytest.raises(EventError) as err:
        parse_event(raw)
    assert err.value.field in ("price", "event")


def _offsets() -> list[timezone]:
    return [timezone(timedelta(minutes=m)) for m in range(-(24 * 60 - 1), 24 * 60, 29)]


def test_dates_at_the_edges_of_every_offset_are_event_errors() -> None:
    """Year 9999 behind UTC and year 1 ahead of it overflow a UTC conversion: refused cleanly."""
    for tz in _offsets():
        for when in (datetime.max.replace(tzinfo=tz), datetime.min.replace(tzinfo=tz)):
            payload = _viewed(occurred_at=when.isoformat())
            for raw in (payload, orjson.dumps(payload)):
                with pytest.raises(EventError) as err:
                    parse_event(raw)
                assert err.value.field == "occurred_at"


def test_the_window_runs_from_the_horizon_to_the_skew_ahead_of_the_clock() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

    def parsed(at: datetime, **kw: Any) -> datetime:
        return parse_event(_viewed(occurred_at=at.isoformat()), now=now, **kw).occurred_at

    assert parsed(HORIZON) == HORIZON
    assert parsed(now + timedelta(seconds=MAX_AHEAD_S)) == now + timedelta(seconds=MAX_AHEAD_S)
    ahead = (now + timedelta(hours=2)).astimezone(timezone(timedelta(hours=-5)))
    assert parsed(ahead, max_ahead_s=3 * 3600).tzinfo is UTC
    for at, kw in ((HORIZON - timedelta(microseconds=1), {}),
                   (now + timedelta(seconds=MAX_AHEAD_S, milliseconds=1), {}),
                   (now + timedelta(seconds=1), {"max_ahead_s": 0})):
        with pytest.raises(EventError) as err:
            parsed(at, **kw)
        assert err.value.field == "occurred_at"
    # a view 12 hours ahead of the real clock (it would pin decayed trending) is refused
    with pytest.raises(EventError):
        parse_event(_viewed(occurred_at=(datetime.now(UTC) + timedelta(hours=12)).isoformat()))


@pytest.mark.parametrize("kw", [{"max_ahead_s": -1}, {"max_ahead_s": 10**9},
                                {"now": datetime(2026, 1, 1)}])
def test_a_senseless_window_is_the_callers_error(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"max_ahead_s|aware") as err:
        window_context(**kw)
    assert not isinstance(err.value, EventError)


def _maximal(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The largest JSON value a schema accepts: longest strings of the widest characters."""
    if "$ref" in schema:
        return _maximal(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return max(schema["enum"], key=lambda v: len(str(v)))
    if "anyOf" in schema:
        return _maximal(next(s for s in schema["anyOf"] if s.get("type") != "null"), defs)
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        if schema.get("format") == "date-time":
            return "2026-01-01T00:00:00.000000+00:00"
        if "pattern" in schema and "maxLength" not in schema:
            return {"^[A-Z]{3}$": "EUR", "^[A-Z]{2}$": "FR"}[schema["pattern"]]
        # a control character escapes to six bytes where allowed; else four-byte characters
        wide = "😀" if "pattern" in schema else "\x00"
        return wide * schema["maxLength"]
    if kind in ("integer", "number"):
        return schema.get("maximum", 1)
    if kind == "array":
        return [_maximal(schema["items"], defs)] * schema.get("maxItems", 1)
    return {k: _maximal(v, defs) for k, v in schema["properties"].items()}


@pytest.mark.parametrize("cls", [EVENT_CLASSES[t] for t in sorted(EVENT_CLASSES)],
                         ids=sorted(EVENT_CLASSES))
def test_the_largest_valid_event_fits_a_kafka_message(cls: type[BaseModel]) -> None:
    schema = cls.model_json_schema()
    payload = _maximal(schema, schema.get("$defs", {}))
    size = len(dump_event(parse_event(payload)))
    assert size < KAFKA_MESSAGE_MAX_BYTES, f"{cls.__name__}: {size} bytes"


# --- the property ---------------------------------------------------------------------------

_BOUND_INTS = [0, 1, 5, 6, MAX_QUANTITY, MAX_STOCK, 10**9, 2**31, 2**53, 2**63, 10**30]
huge_ints = st.sampled_from(_BOUND_INTS).flatmap(
    lambda b: st.sampled_from([b - 1, b, b + 1, -b - 1, -b, -b + 1]))
extreme_floats = st.one_of(
    st.sampled_from([0.0, -0.0, 5e-324, 0.001, 0.005, 2.675, MAX_AMOUNT,
                     math.nextafter(MAX_AMOUNT, math.inf), MAX_AMOUNT + 0.01, MAX_DURATION_S,
                     math.nextafter(MAX_DURATION_S, math.inf), 1e308, -1e308, math.inf,
                     -math.inf, math.nan]),
    st.floats(min_value=-2 * MAX_AMOUNT, max_value=2 * MAX_AMOUNT))
huge_strings = st.builds(
    lambda char, n: char * n,
    st.sampled_from(["a", "\x00", "\x1f", "\x7f", "\n", "é", "😀", "\\", '"', "\u2028",
                     "\ufeff", "\ud800"]),
    st.sampled_from([0, 1, 127, 128, 129, 1000, 1001, 100_000, 100_001, 150_000]))
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
edge_dates = st.one_of(
    st.datetimes(min_value=datetime.min, max_value=datetime.max, timezones=offsets),
    st.builds(lambda d, tz: d.replace(tzinfo=tz),
              st.sampled_from([datetime.min, datetime.max, HORIZON.replace(tzinfo=None),
                               datetime.now(UTC).replace(tzinfo=None)]), offsets),
    st.datetimes(min_value=datetime(1989, 12, 30), max_value=datetime(1990, 1, 2)),  # naive
).map(lambda d: d.isoformat())
odd_values: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), huge_ints, extreme_floats, huge_strings, edge_dates,
    st.lists(st.just("t"), min_size=0, max_size=1).flatmap(
        lambda v: st.sampled_from([0, 1, 50, 51, 100, 101, 1000, 1001, 3000]).map(
            lambda n: v * n)),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def _names_a_field(field: str, cls: type[BaseModel], unknown: set[str]) -> bool:
    """`event`, `event_type`, a field's dotted path (with list indices), or the unknown field
    the event carried."""
    if field in ("event", "event_type") or field in unknown:
        return True
    model: type[BaseModel] | None = cls
    parts = field.split(".")
    for i, part in enumerate(parts):
        if part.isdigit() and i > 0:
            continue
        if model is None or part not in model.model_fields:
            return False
        model = OrderLine if part == "lines" else None
    return True


def _within_schema(value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> None:
    """The parsed value honours the published JSON schema's bounds (what the docs state)."""
    if "$ref" in schema:
        return _within_schema(value, defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if value is None:
        return None
    if "anyOf" in schema:
        return _within_schema(value, next(s for s in schema["anyOf"]
                                          if s.get("type") != "null"), defs)
    if isinstance(value, bool | int | float) and not isinstance(value, bool):
        assert math.isfinite(value)
        assert schema.get("minimum", -math.inf) <= value <= schema.get("maximum", math.inf)
        assert value > schema.get("exclusiveMinimum", -math.inf)
    elif isinstance(value, str) and schema.get("type") == "string":
        assert len(value) <= schema.get("maxLength", MAX_TEXT_LENGTH)
        if "pattern" in schema and schema.get("maxLength") == MAX_ID_LENGTH:
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    elif isinstance(value, tuple | list):
        assert len(value) <= schema.get("maxItems", 10**4)
        for item in value:
            _within_schema(item, schema["items"], defs)
    elif isinstance(value, BaseModel):
        for name, prop in schema["properties"].items():
            _within_schema(getattr(value, name), prop, defs)
    return None


def _cents_are_exact(value: float) -> None:
    cents = round(value * 100)
    if round(value, 2) == value:  # a whole number of cents: counted exactly
        assert cents == int(Decimal(repr(value)).scaleb(2))
    else:  # sub-cent digits: the nearest cent
        assert abs(cents - value * 100) <= 0.5
    assert cents <= MAX_AMOUNT * 100 < 2**53


def _assert_within_bounds(event: Any) -> None:
    schema = type(event).model_json_schema()
    _within_schema(event, schema, schema.get("$defs", {}))
    assert event.occurred_at.tzinfo is UTC
    assert HORIZON <= event.occurred_at <= datetime.now(UTC) + timedelta(seconds=MAX_AHEAD_S)
    amounts = [getattr(event, f) for f in AMOUNT_FIELDS if hasattr(event, f)]
    amounts += [line.unit_price for line in getattr(event, "lines", ())]
    for amount in amounts:
        _cents_are_exact(amount)
    assert len(dump_event(event)) < KAFKA_MESSAGE_MAX_BYTES
    assert parse_event(dump_event(event)) == event


def _at_the_bound(prop: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values on a field's published bounds and just beyond them."""
    if "anyOf" in prop:
        prop = next(s for s in prop["anyOf"] if s.get("type") != "null")
    if "$ref" in prop:
        prop = defs[prop["$ref"].rsplit("/", 1)[1]]
    kind = prop.get("type")
    if kind in ("integer", "number"):
        edges = [prop[k] for k in ("minimum", "maximum", "exclusiveMinimum") if k in prop]
        step = 1 if kind == "integer" else 1e-6
        return st.sampled_from([v + d for v in edges for d in (-step, 0, step)] or [0])
    if kind == "string" and "maxLength" in prop:
        n = prop["maxLength"]
        return st.builds(lambda c, m: c * m, st.sampled_from(["a", "😀", "\x00", '"']),
                         st.sampled_from([n, n + 1, prop.get("minLength", 0)]))
    if kind == "array":
        n = prop.get("maxItems", 1)
        item = _maximal(prop["items"], defs)
        return st.sampled_from([[item] * n, [item] * (n + 1)])
    return st.nothing()


@st.composite
def hostile(draw: st.DrawFn) -> tuple[type[BaseModel], bytes, dict[str, Any] | None, set[str]]:
    """A valid event with one field (or a line's field) replaced by an extreme value, maybe an
    unknown field, and maybe a raw mutation of its bytes."""
    event = draw(events())
    cls = type(event)
    payload = orjson.loads(dump_event(event))
    unknown: set[str] = set()
    target = payload
    if payload.get("lines") and draw(st.booleans()):
        target = payload["lines"][0]
    # the envelope's names last: sampled_from leans towards the first ones
    name = draw(st.sampled_from(sorted(target, key=lambda k: (k in ENVELOPE, k))))
    schema = (OrderLine if target is not payload else cls).model_json_schema()
    prop = schema["properties"].get(name, {})
    bound = _at_the_bound(prop, schema.get("$defs", {}))
    target[name] = draw(st.one_of(odd_values, bound, bound))
    if draw(st.integers(0, 9)) == 0:
        key = draw(st.sampled_from(["colour", "x" * 300, "\x00", "product_viewed", "😀"]))
        payload[key] = 1
        unknown.add(key if len(key) <= MAX_ID_LENGTH else key[:MAX_ID_LENGTH] + "...")
        unknown.add(key.replace("\x00", "?"))
    raw = json.dumps(payload).encode()  # big ints and NaN tokens, unlike orjson
    mutation = draw(st.sampled_from(["none"] * 6 + ["utf8", "nested", "duplicate", "cut"]))
    if mutation == "utf8":
        raw = raw.replace(b'"event_type"', b'"event_type\xff\xfe"', 1)
    elif mutation == "nested":
        depth = draw(st.sampled_from([10, 300, 5000]))
        raw = raw[:-1] + b', "deep": ' + b"[" * depth + b"]" * depth + b"}"
        unknown.add("deep")
    elif mutation == "duplicate":
        raw = raw[:-1] + b', "event_id": "not-a-uuid"}'
    elif mutation == "cut":
        raw = raw[: draw(st.integers(0, max(0, len(raw) - 1)))]
    as_dict = None
    if mutation in ("none", "duplicate"):
        try:
            as_dict = json.loads(raw)
        except ValueError:
            as_dict = None
    return cls, raw, as_dict if isinstance(as_dict, dict) else None, unknown


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(hostile())
def test_hostile_events_are_parsed_in_bounds_or_refused_naming_a_field(case) -> None:
    cls, raw, as_dict, unknown = case
    for value in (raw, as_dict):
        if value is None:
            continue
        try:
            event = parse_event(value)
        except EventError as exc:
            assert _names_a_field(exc.field, cls, unknown), exc
            assert len(exc.field) <= 4 * MAX_ID_LENGTH
        else:
            _assert_within_bounds(event)
