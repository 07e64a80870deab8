"""Imperative mapping of the domain classes onto the tables, kept apart from the domain."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import composite, registry, relationship

from core.adapters import tables as t
from core.domain.catalog import Listing, Product
from core.domain.communities import Comment, Community, Membership, ModerationAction, Post, Vote
from core.domain.identity import ApiKey, User
from core.domain.inventory import Stock
from core.domain.money import Money
from core.domain.orders import Order, OrderLine
from core.domain.podcasts import Episode, Show
from core.domain.rules import Rule, RuleSet
from core.service_layer.unit_of_work import IdempotencyRecord

mapper_registry = registry(metadata=t.metadata)
_mapped = False

# Every mapped class and its table (the tests' in-memory repositories key by its primary key).
TABLES: dict[type[Any], t.Table] = {
    Product: t.products, Listing: t.listings, Stock: t.stock, OrderLine: t.order_lines,
    Order: t.orders, User: t.users, ApiKey: t.api_keys, Membership: t.memberships,
    Community: t.communities, Post: t.posts, Comment: t.comments, Vote: t.votes,
    ModerationAction: t.moderation_actions, Episode: t.episodes, Show: t.shows,
    IdempotencyRecord: t.idempotency_keys, RuleSet: t.rule_sets, Rule: t.merchandising_rules,
}


def _money(amount: Decimal, currency: str) -> Money:
    return Money(amount=amount, currency=currency)


def _properties() -> dict[type[Any], dict[str, Any]]:
    return {
        Product: {"price": composite(_money, t.products.c.price_amount,
                                     t.products.c.price_currency)},
        Listing: {"price": composite(_money, t.listings.c.price_amount,
                                     t.listings.c.price_currency)},
        OrderLine: {"unit_price": composite(_money, t.order_lines.c.unit_amount,
                                            t.order_lines.c.unit_currency)},
        Order: {"total": composite(_money, t.orders.c.total_amount, t.orders.c.currency),
                "lines": relationship(OrderLine, cascade="all, delete-orphan", lazy="selectin",
                                      order_by=t.order_lines.c.product_sku)},
        Community: {"memberships": relationship(Membership, cascade="all, delete-orphan",
                                                lazy="selectin",
                                                order_by=t.memberships.c.user_id)},
        Show: {"episodes": relationship(Episode, cascade="all, delete-orphan", lazy="selectin",
                                        order_by=t.episodes.c.episode_id)},
        # loaded when read, not with the row: a replica's poll reads the revision alone
        RuleSet: {"rules": relationship(Rule, cascade="all, delete-orphan", lazy="select",
                                        order_by=t.merchandising_rules.c.created_seq)},
    }


def start_mappers() -> None:
    """Map once per process; calling again is harmless. A table with a `version` column
    versions its rows (optimistic concurrency)."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    properties = _properties()
    for cls, table in TABLES.items():
        versioned = {"version_id_col": table.c.version} if "version" in table.c else {}
        mapper_registry.map_imperatively(cls, table, properties=properties.get(cls, {}),
                                         **versioned)
