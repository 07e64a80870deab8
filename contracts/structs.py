"""The stream's fast decoder: msgspec structs generated from the pydantic schemas.

The pydantic models (contracts/commerce.py, ...) stay the one source of truth. At import,
every schema of a registry is translated field by field into a frozen `msgspec.Struct` with
the same names, defaults and bounds (lengths, patterns, ranges, literals, nested lines,
unknown fields refused), tagged by `event_type`; msgspec decodes JSON bytes straight into
them, about ten times faster than pydantic validates (`python -m bench.decode`).

The fast path only ever says yes: `FastDecoder.parse` returns its struct when msgspec
accepts the event and its `occurred_at` is inside the window; anything else (a refused
field, a value msgspec is stricter about, such as "5" for a number or a datetime that is
not RFC 3339) goes to the pydantic registry, which accepts it or raises the `EventError`
naming the field, as before. So what is accepted, and every dead letter's reason, is
pydantic's; tests/unit/contracts/test_structs.py checks with Hypothesis that whatever the
structs accept, pydantic accepts with the same values.

Ids must be printable (no control character, no DEL). JSON can only carry a control
character inside a string as an escape, so an event with no backslash and no DEL byte has
none, and the fast path takes only those (a text with a newline or a quote goes to pydantic):
one byte scan instead of a regex per id, which cost msgspec 5 of the 7 µs an event took.
Nor does it take a time with more than 6 fractional digits (msgspec rounds, pydantic cuts).
Other patterns stay; their `$` becomes `\\Z` (Python's `re`, msgspec's, lets `$` match
before a final newline; pydantic's Rust engine does not).
"""

from __future__ import annotations

import re
import time
import types
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from uuid import UUID

import annotated_types as at
import msgspec
from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from contracts.envelope import HORIZON, ID_PATTERN, MAX_AHEAD_S
from contracts.registry import EVENTS, Registry

_HORIZON_TS = HORIZON.timestamp()
# JSON holds a control character in a string only as an escape; DEL may be raw or escaped.
_ESCAPE, _DEL = b"\\", b"\x7f"
# msgspec rounds a time's 7th fractional digit on, pydantic cuts it: such events (and floats
# written with 7 or more decimals) go to pydantic.
_LONG_FRACTION = re.compile(rb"\.[0-9]{7}")


# pydantic's (annotated_types') bounds and the msgspec.Meta argument each one is
_BOUNDS: dict[type, str] = {at.Ge: "ge", at.Gt: "gt", at.Le: "le", at.Lt: "lt",
                            at.MinLen: "min_length", at.MaxLen: "max_length"}


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    """msgspec's bounds for pydantic's field metadata (those the catalog uses)."""
    kw: dict[str, Any] = {}
    for m in metadata:
        pattern = getattr(m, "pattern", None)
        if isinstance(m, FieldInfo):
            kw.update(_bounds(m.metadata))
        elif (name := _BOUNDS.get(type(m))) is not None:
            kw[name] = getattr(m, name)
        elif pattern == ID_PATTERN:
            # Holds for every string of an event without a backslash or DEL (`parse`):
            # msgspec would call `re` for every id, 5 µs of the 7 an event took.
            kw["min_length"] = max(kw.get("min_length", 1), 1)
        elif pattern is not None:
            kw["pattern"] = pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern
        elif type(m).__name__ != "AllowInfNan":  # JSON has no inf or nan; floats are bounded
            raise TypeError(f"no msgspec bound for {m!r}")
    return kw


def _annotated(tp: Any, metadata: list[Any]) -> Any:
    kw = _bounds(metadata)
    return Annotated[tp, msgspec.Meta(**kw)] if kw else tp


class _Translator:
    def __init__(self) -> None:
        self.nested: dict[type[BaseModel], type[msgspec.Struct]] = {}

    def type_of(self, tp: Any, metadata: list[Any]) -> Any:
        origin = get_origin(tp)
        if origin is Annotated:
            base, *extra = get_args(tp)
            return self.type_of(base, [*extra, *metadata])
        if origin in (Union, types.UnionType):
            args = get_args(tp)
            return Union[tuple(self.type_of(a, []) for a in args)]  # noqa: UP007
            # (the bounds of an optional field sit on its non-None member)
        if origin is Literal:
            return tp
        if origin is tuple:
            item, dots = get_args(tp)
            assert dots is Ellipsis, tp
            return _annotated(tuple[self.type_of(item, []), ...], metadata)  # type: ignore[misc]
        if tp is type(None):
            return tp
        if tp is AwareDatetime or tp is datetime:
            # tz required; the horizon and the window are checked after decoding
            return Annotated[datetime, msgspec.Meta(tz=True)]
        if tp in (str, int, float, UUID):
            return _annotated(tp, metadata)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            return self.struct(tp)
        raise TypeError(f"no msgspec type for {tp!r}")

    def struct(self, model: type[BaseModel], *, tag: str | None = None) -> type[msgspec.Struct]:
        if tag is None and model in self.nested:
            return self.nested[model]
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for name, info in model.model_fields.items():
            if tag is not None and name == "event_type":
                continue  # the struct's tag
            tp = self.type_of(info.annotation, list(info.metadata))
            fields.append((name, tp) if info.is_required() else (name, tp, info.default))
        required = [f for f in fields if len(f) == 2]
        optional = [f for f in fields if len(f) == 3]
        # gc=False: a struct holds no cycle (strings, numbers, times, tuples of structs), so
        # the collector need not track it, nor be triggered by allocating one per event.
        kwargs: dict[str, Any] = {"frozen": True, "forbid_unknown_fields": True, "gc": False}
        if tag is not None:
            kwargs.update(tag_field="event_type", tag=tag)
        struct = msgspec.defstruct(model.__name__, [*required, *optional], **kwargs)
        if tag is None:
            self.nested[model] = struct
        else:
            struct.event_type = tag  # type: ignore[attr-defined]  # read like the models'
        return struct


def structs_for(registry: Registry) -> dict[str, type[msgspec.Struct]]:
    """One tagged struct per event type of `registry`, generated from its schemas."""
    translator = _Translator()
    return {t: translator.struct(schema, tag=t) for t, schema in registry.classes.items()}


class FastDecoder:
    """`parse` as the registry's, through msgspec when it accepts (see the module)."""

    def __init__(self, registry: Registry = EVENTS) -> None:
        self.registry = registry
        self.structs = structs_for(registry)
        union: Any = Union[tuple(self.structs.values())]  # noqa: UP007
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(union)

    def parse(self, raw: Any, *, now: datetime | None = None,
              max_ahead_s: float = MAX_AHEAD_S) -> Any:
        """The event of JSON bytes as a struct, or as the registry's model (or its
        `EventError`) when the fast path does not take it (anything but bytes included)."""
        if (type(raw) is not bytes or _ESCAPE in raw or _DEL in raw
                or _LONG_FRACTION.search(raw) is not None):
            return self.registry.parse(raw, now=now, max_ahead_s=max_ahead_s)
        try:
            event = self._decoder.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return self.registry.parse(raw, now=now, max_ahead_s=max_ahead_s)
        at_ = event.occurred_at
        ts = at_.timestamp()
        latest = (time.time() if now is None else now.timestamp()) + max_ahead_s
        if not _HORIZON_TS <= ts <= latest:
            return self.registry.parse(raw, now=now, max_ahead_s=max_ahead_s)
        if at_.tzinfo is not UTC:
            event = msgspec.structs.replace(event, occurred_at=at_.astimezone(UTC))
        return event


def as_fields(value: Any) -> Any:
    """A struct or a model as plain values (tuples, dicts), to compare the two."""
    if isinstance(value, BaseModel):
        return {n: as_fields(getattr(value, n)) for n in type(value).model_fields}
    if isinstance(value, msgspec.Struct):
        out = {n: as_fields(getattr(value, n)) for n in value.__struct_fields__}
        if (tag := value.__struct_config__.tag) is not None:
            out["event_type"] = tag
        return out
    if isinstance(value, tuple | list):
        return tuple(as_fields(v) for v in value)
    return value


DECODER = FastDecoder()

__all__ = ["DECODER", "FastDecoder", "as_fields", "structs_for"]
