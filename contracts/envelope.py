"""The envelope every event shares, and the field types the catalog reuses.

Unknown fields are refused so a producer's typo surfaces as a dead letter rather than
silently missing data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1

Id = Annotated[str, Field(min_length=1, max_length=128)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Quantity = Annotated[int, Field(gt=0, le=100_000)]


class EventError(ValueError):
    """An event that does not honour its contract; `field` names the first offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    event_id: UUID
    occurred_at: AwareDatetime
    user_id: Id | None = None
    session_id: Id | None = None
    schema_version: Annotated[int, Field(ge=1, le=SCHEMA_VERSION)] = SCHEMA_VERSION

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)
