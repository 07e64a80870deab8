"""The lake's typed columns per event type, derived from the contracts (never listed twice).

Every event type's Parquet schema is the envelope, `item_id`, one column per field of its
pydantic schema (contracts/<domain>.py) typed from the field's annotation (str, UUID and
string literals → string; int and int literals → int64; float → float64; bool; aware
datetimes → timestamp; tuples of X → list<X>; nested models such as an order's lines →
struct), and `payload`: a JSON string holding whatever could not be typed (a field of an
annotation this module does not map, a value that does not convert, every field of an event
type the registry does not know). For the catalogue's types `payload` is null.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, Literal, Union
from uuid import UUID

import pyarrow as pa
from pydantic import BaseModel

from contracts.registry import EVENTS, Registry

ENVELOPE = ("event_id", "event_type", "occurred_at", "user_id", "session_id", "schema_version")
TIMESTAMP = pa.timestamp("us", tz="UTC")
BASE = pa.schema([
    ("event_id", pa.string()),
    ("occurred_at", TIMESTAMP),
    ("user_id", pa.string()),
    ("session_id", pa.string()),
    ("schema_version", pa.int16()),
    ("item_id", pa.string()),
])
PAYLOAD = pa.field("payload", pa.string())  # the fields that could not be typed, as JSON
# What each column's values are made of before pa.array takes them: the contracts accept
# numbers as JSON strings ("19.90") in lax mode, and the spool holds the original JSON.
Convert = Callable[[Any], Any]


def arrow_type(annotation: Any) -> pa.DataType | None:
    """The Arrow type of a pydantic field annotation, or None where it has none."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return arrow_type(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return arrow_type(args[0]) if len(args) == 1 else None
    if origin is Literal:
        values = typing.get_args(annotation)
        if all(isinstance(v, str) for v in values):
            return pa.string()
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return pa.int64()
        return None
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if len(args) != 1:
            return None
        inner = arrow_type(args[0])
        return None if inner is None else pa.list_(inner)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = [(n, arrow_type(f.annotation)) for n, f in annotation.model_fields.items()]
        if any(t is None for _, t in fields):
            return None
        return pa.struct([(n, t) for n, t in fields if t is not None])
    simple: dict[Any, pa.DataType] = {str: pa.string(), UUID: pa.string(), int: pa.int64(),
                                      float: pa.float64(), bool: pa.bool_(),
                                      datetime: TIMESTAMP}
    return simple.get(annotation)


def converter(kind: pa.DataType) -> Convert:
    """The function that makes a JSON value fit `kind` (raises where it cannot)."""
    if pa.types.is_string(kind):
        return _string
    if pa.types.is_int64(kind):
        return _integer
    if pa.types.is_float64(kind):
        return float
    if pa.types.is_boolean(kind):
        return _boolean
    if pa.types.is_timestamp(kind):
        return as_utc
    if pa.types.is_list(kind):
        inner = converter(kind.value_type)
        return lambda v: [inner(x) for x in v]
    if pa.types.is_struct(kind):
        parts = [(kind.field(i).name, converter(kind.field(i).type))
                 for i in range(kind.num_fields)]
        return lambda v: {name: conv(v[name]) if v.get(name) is not None else None
                          for name, conv in parts}
    raise TypeError(f"no converter for {kind}")


def _string(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError("not a scalar")
    return str(value)


def _integer(value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("not an integer")
    return int(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def as_utc(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


class Columns:
    """One event type's typed columns: its Arrow schema and the converter of each field."""

    def __init__(self, fields: Mapping[str, pa.DataType]) -> None:
        self.fields = dict(fields)
        self.convert: dict[str, Convert] = {n: converter(t) for n, t in self.fields.items()}
        self.schema = pa.schema([*BASE, *(pa.field(n, t) for n, t in self.fields.items()),
                                 PAYLOAD])


@cache
def _columns(event_type: str, registry: Registry) -> Columns:
    cls = registry.classes.get(event_type)
    if cls is None:
        return Columns({})  # an unknown type: everything goes to `payload`
    fields: dict[str, pa.DataType] = {}
    for name, info in cls.model_fields.items():
        if name in ENVELOPE or name in BASE.names or name == PAYLOAD.name:
            continue
        kind = arrow_type(info.annotation)
        if kind is not None:
            fields[name] = kind
    return Columns(fields)


def columns_of(event_type: str, registry: Registry = EVENTS) -> Columns:
    """The typed columns of `event_type` as its contract declares them."""
    return _columns(event_type, registry)


def schema_of(event_type: str, registry: Registry = EVENTS) -> pa.Schema:
    """The Parquet schema of `event_type`'s partitions."""
    return columns_of(event_type, registry).schema
