"""Recommendation events: what was served (at most 1,000 items), and what was clicked."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.declaration import FACTS, STOREFRONT, EventDomain, EventSpec
from contracts.envelope import Envelope, Id

MAX_ITEMS = 1000
RECOMMENDATION = EventDomain.recommendation


class RecommendationServed(Envelope):
    event_type: Literal["recommendation_served"] = "recommendation_served"
    request_id: Id
    surface: Id
    items: Annotated[tuple[Id, ...], Field(max_length=MAX_ITEMS)]
    model: Id
    variant: Id


RECOMMENDATION_SERVED = EventSpec(
    # The API's own record of what it served (the CTR's denominator and model labels).
    schema=RecommendationServed, domain=RECOMMENDATION, key="request_id", publisher=FACTS)


class RecommendationClicked(Envelope):
    event_type: Literal["recommendation_clicked"] = "recommendation_clicked"
    request_id: Id
    item_id: Id


RECOMMENDATION_CLICKED = EventSpec(
    schema=RecommendationClicked, domain=RECOMMENDATION, key="request_id", publisher=STOREFRONT,
    session_counter="rec_clicks")

SPECS = (RECOMMENDATION_SERVED, RECOMMENDATION_CLICKED)
