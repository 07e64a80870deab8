"""Recommendation events: what was served, and what was clicked."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id


class RecommendationServed(Envelope):
    event_type: Literal["recommendation_served"] = "recommendation_served"
    request_id: Id
    surface: Id
    items: Annotated[tuple[Id, ...], Field(max_length=1000)]
    model: Id
    variant: Id


class RecommendationClicked(Envelope):
    event_type: Literal["recommendation_clicked"] = "recommendation_clicked"
    request_id: Id
    item_id: Id
