"""Recommendation events: what was served (at most 1,000 items), and what was clicked."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id

MAX_ITEMS = 1000


class RecommendationServed(Envelope):
    event_type: Literal["recommendation_served"] = "recommendation_served"
    request_id: Id
    surface: Id
    items: Annotated[tuple[Id, ...], Field(max_length=MAX_ITEMS)]
    model: Id
    variant: Id


class RecommendationClicked(Envelope):
    event_type: Literal["recommendation_clicked"] = "recommendation_clicked"
    request_id: Id
    item_id: Id
