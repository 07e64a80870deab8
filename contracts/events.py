"""Every event type of the catalog as a typed, versioned pydantic model.

One envelope (`event_id`, `event_type`, `occurred_at`, `user_id`, `session_id`,
`schema_version`) plus type-specific fields. Unknown fields are refused so a producer's
typo surfaces as a dead letter rather than silently missing data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
)

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


# --- commerce -----------------------------------------------------------------------------


class ProductViewed(Envelope):
    event_type: Literal["product_viewed"] = "product_viewed"
    product_id: Id
    category: Id
    price: Amount


class ProductSearched(Envelope):
    event_type: Literal["product_searched"] = "product_searched"
    query: Annotated[str, Field(max_length=1000)]
    results: Annotated[int, Field(ge=0)]


class CartItemAdded(Envelope):
    event_type: Literal["cart_item_added"] = "cart_item_added"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


class CartItemRemoved(Envelope):
    event_type: Literal["cart_item_removed"] = "cart_item_removed"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


class CheckoutStarted(Envelope):
    event_type: Literal["checkout_started"] = "checkout_started"
    cart_value: Amount


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: Id
    quantity: Quantity
    unit_price: Amount


class OrderPlaced(Envelope):
    event_type: Literal["order_placed"] = "order_placed"
    order_id: Id
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=1000)]
    total: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class PaymentSucceeded(Envelope):
    event_type: Literal["payment_succeeded"] = "payment_succeeded"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: str | None = None


class PaymentFailed(Envelope):
    event_type: Literal["payment_failed"] = "payment_failed"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: str | None = None


class OrderCancelled(Envelope):
    event_type: Literal["order_cancelled"] = "order_cancelled"
    order_id: Id


class InventoryAdjusted(Envelope):
    event_type: Literal["inventory_adjusted"] = "inventory_adjusted"
    product_id: Id
    delta: int
    reason: Literal["sale", "restock", "return", "correction"]
    on_hand: Annotated[int, Field(ge=0)]


class ListingCreated(Envelope):
    event_type: Literal["listing_created"] = "listing_created"
    listing_id: Id
    seller_id: Id
    product_id: Id
    price: Amount


class ReviewPosted(Envelope):
    event_type: Literal["review_posted"] = "review_posted"
    product_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=20_000)] = ""


# --- community ----------------------------------------------------------------------------


class PostCreated(Envelope):
    event_type: Literal["post_created"] = "post_created"
    post_id: Id
    community_id: Id
    title: Annotated[str, Field(max_length=1000)]
    body: Annotated[str, Field(max_length=100_000)] = ""
    tags: tuple[Id, ...] = ()


class CommentCreated(Envelope):
    event_type: Literal["comment_created"] = "comment_created"
    comment_id: Id
    post_id: Id
    body: Annotated[str, Field(max_length=100_000)] = ""


class VoteCast(Envelope):
    event_type: Literal["vote_cast"] = "vote_cast"
    target_id: Id
    target_type: Literal["post", "comment"]
    value: Literal[1, -1]


class CommunityJoined(Envelope):
    event_type: Literal["community_joined"] = "community_joined"
    community_id: Id


class ContentReported(Envelope):
    event_type: Literal["content_reported"] = "content_reported"
    target_id: Id
    target_type: Literal["post", "comment"]
    reason: Annotated[str, Field(max_length=1000)]


# --- podcast ------------------------------------------------------------------------------


class EpisodePublished(Envelope):
    event_type: Literal["episode_published"] = "episode_published"
    episode_id: Id
    show_id: Id
    title: Annotated[str, Field(max_length=1000)]
    description: Annotated[str, Field(max_length=100_000)] = ""
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    tags: tuple[Id, ...] = ()


class EpisodePlayed(Envelope):
    event_type: Literal["episode_played"] = "episode_played"
    episode_id: Id
    show_id: Id
    position_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ShowSubscribed(Envelope):
    event_type: Literal["show_subscribed"] = "show_subscribed"
    show_id: Id


class ShowUnsubscribed(Envelope):
    event_type: Literal["show_unsubscribed"] = "show_unsubscribed"
    show_id: Id


# --- identity -----------------------------------------------------------------------------


class UserRegistered(Envelope):
    event_type: Literal["user_registered"] = "user_registered"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    channel: Id


class UserProfileUpdated(Envelope):
    event_type: Literal["user_profile_updated"] = "user_profile_updated"
    fields: tuple[Id, ...]


# --- recommendation -----------------------------------------------------------------------


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
