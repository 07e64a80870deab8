"""Bodies of `POST /v1/events`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

EXAMPLE: dict[str, JsonValue] = {
    "event_id": "0b8f3c1e-5a47-4f55-9d1e-3a3c8b1f2e10", "event_type": "product_viewed",
    "occurred_at": "2026-01-01T10:00:00+00:00", "user_id": "u1", "session_id": "s1",
    "product_id": "85123A", "category": "home", "price": 2.55}


class EventBatch(BaseModel):
    """Up to 500 events (see the event catalog); each one is validated on its own against its
    contract's bounds (contracts/envelope.py): an `occurred_at` from 1990-01-01 to 300 s ahead
    of the API's clock, amounts up to 10^9, ..."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"events": [EXAMPLE]}]})

    events: list[dict[str, Any]] = Field(min_length=1)


class EventErrorDetail(BaseModel):
    index: int = Field(description="Position of the event in the batch.")
    field: str = Field(description="The first offending field.")
    error: str


class EventsRejected(BaseModel):
    detail: list[EventErrorDetail]


class EventsAccepted(BaseModel):
    request_id: str
    accepted: int
