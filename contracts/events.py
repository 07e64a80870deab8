"""Every event type of the catalog as one discriminated union: parse, validate, dump.

The types live in one module per domain (contracts/commerce.py, …) on a shared envelope
(contracts/envelope.py), each declared beside its schema; the registry (contracts/registry.py)
joins the declarations and parses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from contracts.commerce import (
    CartItemAdded,
    CartItemRemoved,
    CheckoutStarted,
    InventoryAdjusted,
    ListingCreated,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    PaymentFailed,
    PaymentSucceeded,
    ProductSearched,
    ProductViewed,
    ReviewPosted,
)
from contracts.community import (
    CommentCreated,
    CommunityJoined,
    ContentReported,
    PostCreated,
    VoteCast,
)
from contracts.envelope import MAX_AHEAD_S, SCHEMA_VERSION, Envelope, EventError
from contracts.identity import UserProfileUpdated, UserRegistered
from contracts.podcast import EpisodePlayed, EpisodePublished, ShowSubscribed, ShowUnsubscribed
from contracts.recommendation import RecommendationClicked, RecommendationServed
from contracts.registry import EVENTS

# The registry's union (contracts/registry.py), spelled out for the type checker: a test
# checks they agree.
Event = Annotated[
    ProductViewed
    | ProductSearched
    | CartItemAdded
    | CartItemRemoved
    | CheckoutStarted
    | OrderPlaced
    | PaymentSucceeded
    | PaymentFailed
    | OrderCancelled
    | InventoryAdjusted
    | ListingCreated
    | ReviewPosted
    | PostCreated
    | CommentCreated
    | VoteCast
    | CommunityJoined
    | ContentReported
    | EpisodePublished
    | EpisodePlayed
    | ShowSubscribed
    | ShowUnsubscribed
    | UserRegistered
    | UserProfileUpdated
    | RecommendationServed
    | RecommendationClicked,
    Field(discriminator="event_type"),
]

EVENT_CLASSES: dict[str, type[Envelope]] = EVENTS.classes
EVENT_TYPES: frozenset[str] = EVENTS.types


def parse_event(raw: bytes | str | dict[str, Any], *, now: datetime | None = None,
                max_ahead_s: float = MAX_AHEAD_S) -> Event:
    """Validate one event of the catalog from JSON bytes/text or a decoded dict; raise
    `EventError` (`Registry.parse` of `EVENTS`).

    `occurred_at` may be at most `max_ahead_s` ahead of `now` (this process's clock by
    default): see the bounds in contracts/envelope.py.
    """
    return EVENTS.parse(raw, now=now, max_ahead_s=max_ahead_s)  # type: ignore[return-value]


def dump_event(event: Envelope) -> bytes:
    """The canonical JSON form of an event (what goes on the wire)."""
    return event.model_dump_json(exclude_none=False).encode()


__all__ = [
    "EVENT_CLASSES", "EVENT_TYPES", "SCHEMA_VERSION", "CartItemAdded", "CartItemRemoved",
    "CheckoutStarted", "CommentCreated", "CommunityJoined", "ContentReported", "Envelope",
    "EpisodePlayed", "EpisodePublished", "Event", "EventError", "InventoryAdjusted",
    "ListingCreated", "OrderCancelled", "OrderLine", "OrderPlaced", "PaymentFailed",
    "PaymentSucceeded", "PostCreated", "ProductSearched", "ProductViewed",
    "RecommendationClicked", "RecommendationServed", "ReviewPosted", "ShowSubscribed",
    "ShowUnsubscribed", "UserProfileUpdated", "UserRegistered", "VoteCast", "dump_event",
    "parse_event",
]
