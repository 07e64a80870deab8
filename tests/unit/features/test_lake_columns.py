"""Typed columns per event type, derived from the contracts, for every type of the registry."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import EVENTS, dump_event
from features.lake import ENVELOPE, lake_row, read_events, records, schema_of, write_rows
from features.lake.columns import BASE
from tests.unit.contracts.test_events import _from_schema as from_schema


@pytest.mark.parametrize("event_type", sorted(EVENTS.classes))
def test_every_contract_field_is_a_typed_column(event_type: str) -> None:
    schema = schema_of(event_type)
    fields = [n for n in EVENTS.classes[event_type].model_fields if n not in ENVELOPE]
    for name in fields:
        if name in BASE.names:  # recommendation_clicked's own item_id: kept in payload
            continue
        assert name in schema.names, name
        kind = schema.field(name).type
        annotation = EVENTS.classes[event_type].model_fields[name].annotation
        if annotation in (int, float):
            assert pa.types.is_integer(kind) or pa.types.is_floating(kind), (name, kind)
    assert schema.names[-1] == "payload"


def test_order_lines_are_a_list_of_structs() -> None:
    kind = schema_of("order_placed").field("lines").type
    assert pa.types.is_list(kind) and pa.types.is_struct(kind.value_type)
    assert [kind.value_type.field(i).name for i in range(kind.value_type.num_fields)] == [
        "product_id", "quantity", "unit_price"]


@st.composite
def any_event(draw: st.DrawFn) -> Any:
    cls = EVENTS.classes[draw(st.sampled_from(sorted(EVENTS.classes)))]
    schema = cls.model_json_schema()
    return cls.model_validate(draw(from_schema(schema, schema.get("$defs", {}))))


def _plain(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


@settings(max_examples=200, deadline=None)
@given(st.lists(any_event(), min_size=1, max_size=6))
def test_any_valid_event_reads_back_with_its_fields(events: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bodies = [orjson.loads(dump_event(e)) for e in events]
        write_rows(tmp, [lake_row(b, EVENTS.item_of(e)) for b, e in zip(bodies, events,
                                                                         strict=True)])
        frame = read_events(path=tmp)
        assert len(frame) == len({b["event_id"] for b in bodies})
        got = {eid: f for eid, f in zip(frame["event_id"], records(frame), strict=True)}
        for body in bodies:
            want = {k: v for k, v in body.items()
                    if k not in ENVELOPE and v is not None} | {"event_type": body["event_type"]}
            assert _plain(got[body["event_id"]]) == _plain(want)
        typed = frame[frame["event_type"] != "recommendation_clicked"]
        assert typed["payload"].isna().all()  # every catalogue field found a column


def test_values_that_do_not_fit_land_in_payload(tmp_path: Path) -> None:
    base = {"event_id": "e1", "occurred_at": "2026-12-01T10:00:00Z", "user_id": "u1"}
    write_rows(tmp_path, [
        lake_row({**base, "event_type": "product_viewed", "product_id": "p1",
                  "category": "c", "price": "not a number"}, "product:p1"),
        lake_row({**base, "event_id": "e2", "event_type": "never_declared", "x": [1, {"y": 2}]},
                 None),
        lake_row({**base, "event_id": "e3", "event_type": "product_searched", "query": "q",
                  "results": 2 ** 70}, None),  # past int64: the column goes to payload
    ])
    frame = read_events(path=tmp_path)
    fields = {e: f for e, f in zip(frame["event_id"], records(frame), strict=True)}
    assert fields["e1"]["price"] == "not a number" and fields["e1"]["product_id"] == "p1"
    assert fields["e2"] == {"event_type": "never_declared", "x": [1, {"y": 2}]}
    assert fields["e3"] == {"event_type": "product_searched", "query": "q", "results": 2 ** 70}


def test_the_data_scientists_read(tmp_path: Path) -> None:
    base = {"occurred_at": "2026-12-01T10:00:00+01:00", "user_id": "u1",
            "event_type": "order_placed", "order_id": "o1", "total": "19.90",
            "currency": "EUR", "lines": [{"product_id": "p1", "quantity": 2,
                                          "unit_price": 9.95}]}
    write_rows(tmp_path, [lake_row({**base, "event_id": "e1"}, None)])
    frame = read_events(["order_placed"], "2026-12-01", "2026-12-02", path=tmp_path)
    assert frame["total"].tolist() == [19.9]
    assert frame["currency"].tolist() == ["EUR"]
    assert frame["occurred_at"].iloc[0].isoformat() == "2026-12-01T09:00:00+00:00"
    assert [dict(line) for line in frame["lines"].iloc[0]] == [
        {"product_id": "p1", "quantity": 2, "unit_price": 9.95}]
