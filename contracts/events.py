"""Every event type of the catalog as one discriminated union: parse, validate, dump.

The types live in one module per domain (contracts/commerce.py, …) on a shared envelope
(contracts/envelope.py); this module joins them and is the one place that parses.
"""

from __future__ import annotations

import re
from datetime import datetime
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
from contracts.envelope import (
    MAX_AHEAD_S,
    MAX_ID_LENGTH,
    SCHEMA_VERSION,
    Envelope,
    EventError,
    window_context,
)
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


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def _part(part: str | int) -> str:
    """A location part as a bounded, printable name (an unknown field is the sender's)."""
    text = _UNPRINTABLE.sub("?", str(part))
    return text if len(text) <= MAX_ID_LENGTH else text[:MAX_ID_LENGTH] + "..."


def _first_error(exc: ValidationError) -> EventError:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    # The first location part is the union tag (the event type): not a field of the event.
    if loc and loc[0] in EVENT_TYPES:
        loc = loc[1:]
    if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return EventError("event_type", "missing or unknown event type")
    if err["type"] == "json_invalid":
        return EventError("event", err["msg"])
    reason = err["msg"].removeprefix("Value error, ")
    return EventError(".".join(_part(p) for p in loc) or "event", reason)


def parse_event(raw: bytes | str | dict[str, Any], *, now: datetime | None = None,
                max_ahead_s: float = MAX_AHEAD_S) -> Event:
    """Validate one event from JSON bytes/text or a decoded dict; raise `EventError`.

    `occurred_at` may be at most `max_ahead_s` ahead of `now` (this process's clock by
    default): see the bounds in contracts/envelope.py.
    """
    context = (None if now is None and max_ahead_s == MAX_AHEAD_S
               else window_context(now=now, max_ahead_s=max_ahead_s))
    try:
        if isinstance(raw, dict):
            return _ADAPTER.validate_python(raw, context=context)
        return _ADAPTER.validate_json(raw, context=context)
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
