"""Every event type of the catalog as one discriminated union: parse, validate, dump.

The types live in one module per domain (contracts/commerce.py, …) on a shared envelope
(contracts/envelope.py); this module joins them and is the one place that parses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

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
from contracts.envelope import SCHEMA_VERSION, Envelope, EventError
from contracts.identity import UserProfileUpdated, UserRegistered
from contracts.podcast import EpisodePlayed, EpisodePublished, ShowSubscribed, ShowUnsubscribed
from contracts.recommendation import RecommendationClicked, RecommendationServed

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

EVENT_CLASSES: dict[str, type[Envelope]] = {
    cls.model_fields["event_type"].default: cls
    for cls in Envelope.__subclasses__()
}
EVENT_TYPES: frozenset[str] = frozenset(EVENT_CLASSES)

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def _first_error(exc: ValidationError) -> EventError:
    err = exc.errors(include_url=False)[0]
    # The first location part is the union tag (the event type): not a field of the event.
    loc = [str(part) for part in err["loc"] if str(part) not in EVENT_TYPES]
    if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return EventError("event_type", "missing or unknown event type")
    if err["type"] == "json_invalid":
        return EventError("event", err["msg"])
    return EventError(".".join(loc) or "event", err["msg"])


def parse_event(raw: bytes | str | dict[str, Any]) -> Event:
    """Validate one event from JSON bytes/text or a decoded dict; raise `EventError`."""
    try:
        if isinstance(raw, dict):
            return _ADAPTER.validate_python(raw)
        return _ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise _first_error(exc) from None


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
