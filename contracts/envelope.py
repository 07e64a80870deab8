"""The envelope every event shares, the field types the catalog reuses, and their bounds.

Unknown fields are refused so a producer's typo surfaces as a dead letter rather than
silently missing data.

The bounds make every accepted value one that every store holds exactly (the Redis and
SQLite online stores, the Parquet lake, the core's SQL columns); anything outside them is an
`EventError` naming the field (a dead letter in the worker, a 422 over HTTP):

- amounts (`Amount`): 0 to `MAX_AMOUNT` (10^9) currency units. Counters hold whole cents,
  `cents = round(amount * 100)`: below 10^9 the float error of `amount * 100` is under 10^-5,
  so that is the nearest cent (sub-cent digits, such as a replayed price of 0.001, round half
  to even), at most 10^11, and a float64 or int64 sum of cents stays exact (to 2^53 cents);
- quantities: 1 to `MAX_QUANTITY`; stock (`on_hand`) 0 to `MAX_STOCK` (10^9) and its deltas
  -`MAX_STOCK` to `MAX_STOCK`: int32 columns and float64 sums hold them;
- counts (`results`) 0 to `MAX_COUNT`; durations and positions 0 to `MAX_DURATION_S`;
- ids 1 to 128 characters, none a control character; texts and lists have a maximum length;
- `occurred_at`: an aware time from `HORIZON` (1990-01-01, before every replayed data set:
  MovieLens 100K starts in 1997, online retail in 2010) to `MAX_AHEAD_S` (300 s) ahead of the
  validating process's clock (`parse_event` takes the clock and the skew); normalised to UTC.
  Nothing is clamped: an event outside is refused.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

SCHEMA_VERSION = 1

MAX_ID_LENGTH = 128
MAX_AMOUNT = 1_000_000_000
MAX_QUANTITY = 100_000
MAX_STOCK = 1_000_000_000
MAX_COUNT = 1_000_000_000
MAX_DURATION_S = 1_000_000.0
MAX_TAGS = 50
MAX_LINE_LENGTH = 1000  # titles, queries, reasons
MAX_TEXT_LENGTH = 100_000  # bodies, descriptions
HORIZON = datetime(1990, 1, 1, tzinfo=UTC)
MAX_AHEAD_S = 300.0
MAX_AHEAD_LIMIT_S = 86_400.0  # the largest skew a caller may allow

# Printable: no C0 control character and no DEL (ids end up in keys, labels and file names).
ID_PATTERN = r"^[^\x00-\x1f\x7f]+$"


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY)]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
StockDelta = Annotated[int, Field(ge=-MAX_STOCK, le=MAX_STOCK)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Seconds = Annotated[float, Field(ge=0, le=MAX_DURATION_S, allow_inf_nan=False)]
Duration = Annotated[float, Field(gt=0, le=MAX_DURATION_S, allow_inf_nan=False)]
Line = Annotated[str, Field(max_length=MAX_LINE_LENGTH)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH)]
Tags = Annotated[tuple[Id, ...], Field(max_length=MAX_TAGS)]


class EventError(ValueError):
    """An event that does not honour its contract; `field` names the first offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def window_context(*, now: datetime | None = None,
                   max_ahead_s: float = MAX_AHEAD_S) -> dict[str, Any]:
    """The validation context under which `occurred_at` may be at most `max_ahead_s` ahead of
    `now` (this process's clock by default)."""
    if not 0 <= max_ahead_s <= MAX_AHEAD_LIMIT_S:
        raise ValueError(f"max_ahead_s must be within 0 and {MAX_AHEAD_LIMIT_S:g}")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    clock = time.time() if now is None else now.timestamp()
    return {"latest": clock + max_ahead_s, "max_ahead_s": max_ahead_s}


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    event_id: UUID
    occurred_at: Annotated[AwareDatetime, Field(ge=HORIZON)]
    user_id: Id | None = None
    session_id: Id | None = None
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION

    @field_validator("occurred_at")
    @classmethod
    def _not_ahead(cls, value: datetime, info: ValidationInfo) -> datetime:
        context = info.context
        latest, ahead = ((context["latest"], context["max_ahead_s"]) if context
                         else (time.time() + MAX_AHEAD_S, MAX_AHEAD_S))
        try:
            utc = value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-14:00 is past the largest datetime in UTC
            utc = None
        if utc is None or utc.timestamp() > latest:
            raise ValueError(f"more than {ahead:g} s ahead of the validating clock")
        return utc
