"""Event contracts: JSON round-trip, errors that name the field, topics and keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import EVENT_TYPES, EventError, Topic, dump_event, key_for, parse_event, topic_for
from contracts.events import EVENT_CLASSES

# Inside the contract's window: from its horizon to the validating clock.
aware = st.datetimes(min_value=datetime(1990, 1, 1),
                     max_value=datetime.now(UTC).replace(tzinfo=None), timezones=st.just(UTC))


def _from_schema(schema: dict, defs: dict) -> st.SearchStrategy:
    """A strategy for the JSON values a pydantic JSON schema accepts (the subset we use)."""
    if "$ref" in schema:
        return _from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of(*(_from_schema(s, defs) for s in schema["anyOf"]))
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        if schema.get("format") == "date-time":
            return aware.map(lambda d: d.isoformat())
        if "pattern" in schema:
            low, high = schema.get("minLength", 0), min(schema.get("maxLength", 30), 30)
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: low <= len(s) <= high)
        return st.text(min_size=schema.get("minLength", 0), max_size=min(
            schema.get("maxLength", 30), 30))
    if kind == "integer":
        return st.integers(schema.get("minimum", schema.get("exclusiveMinimum", -10**6 - 1) + 1),
                           schema.get("maximum", 10**6))
    if kind == "number":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        return st.floats(min_value=low, max_value=schema.get("maximum", 1e9), allow_nan=False,
                         allow_infinity=False, exclude_min="exclusiveMinimum" in schema)
    if kind == "array":
        return st.lists(_from_schema(schema["items"], defs), min_size=schema.get("minItems", 0),
                        max_size=min(schema.get("maxItems", 4), 4))
    if kind == "object":
        props = schema["properties"]
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: _from_schema(v, defs) for k, v in props.items() if k in required},
            optional={k: _from_schema(v, defs) for k, v in props.items() if k not in required},
        )
    raise AssertionError(f"no strategy for {schema}")


@st.composite
def events(draw: st.DrawFn):
    """Any valid event of the catalog, drawn from its own JSON schema."""
    cls = draw(st.sampled_from(sorted(EVENT_CLASSES.values(), key=lambda c: c.__name__)))
    schema = cls.model_json_schema()
    return cls.model_validate(draw(_from_schema(schema, schema.get("$defs", {}))))


@settings(max_examples=300, deadline=None)
@given(events())
def test_json_round_trip_is_lossless(event) -> None:
    parsed = parse_event(dump_event(event))
    assert parsed == event
    assert type(parsed) is type(event)
    assert parse_event(orjson.loads(dump_event(event))) == event


@settings(max_examples=100, deadline=None)
@given(events())
def test_every_event_has_a_source_topic_and_a_key(event) -> None:
    topic = topic_for(event)
    assert topic in {Topic.commerce, Topic.community, Topic.podcast, Topic.identity,
                     Topic.recommendation}
    assert key_for(event)


def test_catalog_is_complete() -> None:
    assert len(EVENT_TYPES) == 25


def _viewed(**over) -> dict:
    base = {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
            "occurred_at": "2026-01-01T10:00:00+02:00", "user_id": "u1", "session_id": None,
            "schema_version": 1, "product_id": "P1", "category": "home", "price": 9.5}
    base.update(over)
    return base


@pytest.mark.parametrize(("payload", "field"), [
    (_viewed(price=-1), "price"),
    (_viewed(product_id=""), "product_id"),
    (_viewed(occurred_at="2026-01-01T10:00:00"), "occurred_at"),  # naive time refused
    (_viewed(event_id="not-a-uuid"), "event_id"),
    (_viewed(event_type="teleported"), "event_type"),
    (_viewed(schema_version=99), "schema_version"),
    (_viewed(colour="red"), "colour"),
    ({k: v for k, v in _viewed().items() if k != "category"}, "category"),
    ({k: v for k, v in _viewed().items() if k != "event_type"}, "event_type"),
])
def test_errors_name_the_field(payload: dict, field: str) -> None:
    with pytest.raises(EventError) as err:
        parse_event(orjson.dumps(payload))
    assert err.value.field == field


def test_nested_errors_name_the_path() -> None:
    order = {"event_id": str(uuid.uuid4()), "event_type": "order_placed",
             "occurred_at": "2026-01-01T10:00:00Z", "order_id": "o1", "total": 3.0,
             "currency": "EUR", "lines": [{"product_id": "P1", "quantity": 0, "unit_price": 3}]}
    with pytest.raises(EventError) as err:
        parse_event(orjson.dumps(order))
    assert err.value.field == "lines.0.quantity"


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b"\xff\xfe", b'"text"'])
def test_garbage_is_an_event_error(raw: bytes) -> None:
    with pytest.raises(EventError):
        parse_event(raw)


def test_times_are_normalised_to_utc() -> None:
    event = parse_event(orjson.dumps(_viewed()))
    assert event.occurred_at == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


def test_key_falls_back_to_the_entity() -> None:
    event = parse_event(orjson.dumps(_viewed(user_id=None)))
    assert key_for(event) == b"P1"
    assert topic_for(event) is Topic.commerce
