"""Commands: what callers ask the core to change (reads are plain functions, reads.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.communities import MemberRole, ModerationKind
from core.domain.identity import Role
from core.domain.money import Money
from core.domain.payments import PaymentMethod
from core.domain.rules import FilterMode, RuleAction


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base of every message the bus handles."""


# --- catalog and inventory ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpsertProduct(Command):
    """Create the product, or replace its fields when `sku` exists (`create_only` refuses)."""

    sku: str
    title: str
    price: Money
    category: str
    description: str = ""
    tags: tuple[str, ...] = ()
    create_only: bool = False


@dataclass(frozen=True, kw_only=True)
class UpsertProducts(Command):
    products: tuple[UpsertProduct, ...]


@dataclass(frozen=True, kw_only=True)
class UpdateProduct(Command):
    sku: str
    title: str | None = None
    description: str | None = None
    category: str | None = None
    tags: tuple[str, ...] | None = None
    price: Money | None = None


@dataclass(frozen=True, kw_only=True)
class CreateListing(Command):
    seller_id: str
    sku: str
    price: Money


@dataclass(frozen=True, kw_only=True)
class Restock(Command):
    sku: str
    quantity: int


# --- orders -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class PlaceOrder(Command):
    user_id: str
    currency: str
    lines: tuple[LineRequest, ...]


@dataclass(frozen=True, kw_only=True)
class PayOrder(Command):
    order_id: str
    method: PaymentMethod
    source: str


@dataclass(frozen=True, kw_only=True)
class CancelOrder(Command):
    order_id: str


@dataclass(frozen=True, kw_only=True)
class FulfilOrder(Command):
    order_id: str


# --- the sweeper (docs/core.md) -----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExpireReservations(Command):
    """Cancel up to `limit` orders still `placed` since before `before`, releasing their stock."""

    before: datetime
    limit: int


@dataclass(frozen=True, kw_only=True)
class ClaimStalePayments(Command):
    """Claim up to `limit` orders `paying` since before `before`; answers their ids."""

    before: datetime
    limit: int


@dataclass(frozen=True, kw_only=True)
class ResolvePayment(Command):
    """Ask the gateway for the final answer under the order's key and record it."""

    order_id: str


# --- identity -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterUser(Command):
    user_id: str
    email: str
    country: str
    channel: str = "web"
    roles: tuple[Role, ...] = (Role.customer,)


@dataclass(frozen=True, kw_only=True)
class IssueApiKey(Command):
    name: str
    scopes: tuple[str, ...]


# --- communities --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateCommunity(Command):
    community_id: str
    name: str
    owner_id: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class JoinCommunity(Command):
    community_id: str
    user_id: str


@dataclass(frozen=True, kw_only=True)
class AppointMember(Command):
    community_id: str
    by: str
    user_id: str
    role: MemberRole


@dataclass(frozen=True, kw_only=True)
class CreatePost(Command):
    community_id: str
    author_id: str
    title: str
    body: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CreateComment(Command):
    post_id: str
    author_id: str
    body: str


@dataclass(frozen=True, kw_only=True)
class CastVote(Command):
    target_type: str
    target_id: str
    user_id: str
    value: int


@dataclass(frozen=True, kw_only=True)
class ReportContent(Command):
    target_type: str
    target_id: str
    user_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Moderate(Command):
    target_type: str
    target_id: str
    moderator_id: str
    kind: ModerationKind
    reason: str


# --- podcasts -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateShow(Command):
    show_id: str
    title: str
    owner_id: str
    description: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PublishEpisode(Command):
    show_id: str
    episode_id: str
    title: str
    duration_s: float
    description: str = ""
    tags: tuple[str, ...] = ()


# --- merchandising rules ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateRule(Command):
    """A rule of `action` (boost, bury, filter, pin, promote); the core gives it its id.
    `match` maps attribute names (core.domain.rules.MATCH_FIELDS) to what they select."""

    action: RuleAction
    name: str = ""
    match: tuple[tuple[str, object], ...] = ()
    weight: float | None = None
    mode: FilterMode | None = None
    item_id: str | None = None
    position: int | None = None
    share: float | None = None
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class SetRuleActive(Command):
    rule_id: str
    active: bool


@dataclass(frozen=True, kw_only=True)
class DeleteRule(Command):
    rule_id: str
