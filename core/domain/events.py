"""Domain events, recorded by aggregates and written to the outbox with the change.

Field names follow the event catalog (contracts/), so the outbox maps them one to one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID, uuid4


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    event_type: ClassVar[str]
    event_id: UUID = field(default_factory=uuid4)
    occurred_at: datetime = field(default_factory=_now)
    user_id: str | None = None

    @property
    def aggregate_key(self) -> str:
        """`<aggregate>:<id>`: events of one aggregate are published in order."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class PlacedLine:
    product_id: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, kw_only=True)
class OrderEvent(DomainEvent):
    order_id: str

    @property
    def aggregate_key(self) -> str:
        return f"order:{self.order_id}"


@dataclass(frozen=True, kw_only=True)
class OrderPlaced(OrderEvent):
    event_type: ClassVar[str] = "order_placed"
    lines: tuple[PlacedLine, ...]
    total: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(OrderEvent):
    event_type: ClassVar[str] = "payment_succeeded"
    amount: Decimal
    method: str


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(OrderEvent):
    event_type: ClassVar[str] = "payment_failed"
    amount: Decimal
    method: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderEvent):
    event_type: ClassVar[str] = "order_cancelled"


@dataclass(frozen=True, kw_only=True)
class InventoryAdjusted(DomainEvent):
    event_type: ClassVar[str] = "inventory_adjusted"
    product_id: str
    delta: int
    reason: str
    on_hand: int

    @property
    def aggregate_key(self) -> str:
        return f"stock:{self.product_id}"


@dataclass(frozen=True, kw_only=True)
class ListingCreated(DomainEvent):
    event_type: ClassVar[str] = "listing_created"
    listing_id: str
    seller_id: str
    product_id: str
    price: Decimal

    @property
    def aggregate_key(self) -> str:
        return f"listing:{self.listing_id}"


@dataclass(frozen=True, kw_only=True)
class PostCreated(DomainEvent):
    event_type: ClassVar[str] = "post_created"
    post_id: str
    community_id: str
    title: str
    body: str
    tags: tuple[str, ...]

    @property
    def aggregate_key(self) -> str:
        return f"post:{self.post_id}"


@dataclass(frozen=True, kw_only=True)
class CommentCreated(DomainEvent):
    event_type: ClassVar[str] = "comment_created"
    comment_id: str
    post_id: str
    body: str

    @property
    def aggregate_key(self) -> str:
        return f"post:{self.post_id}"


@dataclass(frozen=True, kw_only=True)
class TargetEvent(DomainEvent):
    target_id: str
    target_type: str

    @property
    def aggregate_key(self) -> str:
        return f"{self.target_type}:{self.target_id}"


@dataclass(frozen=True, kw_only=True)
class VoteCast(TargetEvent):
    event_type: ClassVar[str] = "vote_cast"
    value: int


@dataclass(frozen=True, kw_only=True)
class ContentReported(TargetEvent):
    event_type: ClassVar[str] = "content_reported"
    reason: str


@dataclass(frozen=True, kw_only=True)
class CommunityJoined(DomainEvent):
    event_type: ClassVar[str] = "community_joined"
    community_id: str

    @property
    def aggregate_key(self) -> str:
        return f"community:{self.community_id}"


@dataclass(frozen=True, kw_only=True)
class EpisodePublished(DomainEvent):
    event_type: ClassVar[str] = "episode_published"
    episode_id: str
    show_id: str
    title: str
    description: str
    duration_s: float
    tags: tuple[str, ...]

    @property
    def aggregate_key(self) -> str:
        return f"show:{self.show_id}"


@dataclass(frozen=True, kw_only=True)
class UserRegistered(DomainEvent):
    event_type: ClassVar[str] = "user_registered"
    country: str
    channel: str

    @property
    def aggregate_key(self) -> str:
        return f"user:{self.user_id}"
