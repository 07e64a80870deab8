"""Imperative mapping of the domain classes onto the tables, kept apart from the domain."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import composite, registry, relationship

from core.adapters import tables as t
from core.domain.catalog import Listing, Product
from core.domain.communities import Comment, Community, Membership, ModerationAction, Post, Vote
from core.domain.identity import ApiKey, User
from core.domain.inventory import Stock
from core.domain.money import Money
from core.domain.orders import Order, OrderLine
from core.domain.podcasts import Episode, Show
from core.service_layer.unit_of_work import IdempotencyRecord

mapper_registry = registry(metadata=t.metadata)
_mapped = False


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def _versioned(table: t.Table) -> dict[str, object]:
    return {"version_id_col": table.c.version}


def start_mappers() -> None:
    """Map once per process; calling again is harmless."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    reg = mapper_registry
    reg.map_imperatively(Product, t.products, **_versioned(t.products), properties={
        "price": composite(_money, t.products.c.price_amount, t.products.c.price_currency)})
    reg.map_imperatively(Listing, t.listings, **_versioned(t.listings), properties={
        "price": composite(_money, t.listings.c.price_amount, t.listings.c.price_currency)})
    reg.map_imperatively(Stock, t.stock, **_versioned(t.stock))
    reg.map_imperatively(OrderLine, t.order_lines, properties={
        "unit_price": composite(_money, t.order_lines.c.unit_amount,
                                t.order_lines.c.unit_currency)})
    reg.map_imperatively(Order, t.orders, **_versioned(t.orders), properties={
        "total": composite(_money, t.orders.c.total_amount, t.orders.c.currency),
        "lines": relationship(OrderLine, cascade="all, delete-orphan", lazy="selectin",
                              order_by=t.order_lines.c.product_sku),
    })
    reg.map_imperatively(User, t.users, **_versioned(t.users))
    reg.map_imperatively(ApiKey, t.api_keys)
    reg.map_imperatively(Membership, t.memberships)
    reg.map_imperatively(Community, t.communities, **_versioned(t.communities), properties={
        "memberships": relationship(Membership, cascade="all, delete-orphan", lazy="selectin",
                                    order_by=t.memberships.c.user_id)})
    reg.map_imperatively(Post, t.posts, **_versioned(t.posts))
    reg.map_imperatively(Comment, t.comments, **_versioned(t.comments))
    reg.map_imperatively(Vote, t.votes)
    reg.map_imperatively(ModerationAction, t.moderation_actions)
    reg.map_imperatively(Episode, t.episodes)
    reg.map_imperatively(Show, t.shows, **_versioned(t.shows), properties={
        "episodes": relationship(Episode, cascade="all, delete-orphan", lazy="selectin",
                                 order_by=t.episodes.c.episode_id)})
    reg.map_imperatively(IdempotencyRecord, t.idempotency_keys)
