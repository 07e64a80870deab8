"""Bodies of `POST /v1/events`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventBatch(BaseModel):
    """Up to 500 events (see the event catalog); each one is validated on its own."""

    model_config = ConfigDict(extra="forbid")

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
