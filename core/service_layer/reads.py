"""Reads: plain functions of a unit of work that change nothing, run beside the bus.

`MessageBus.read(get_order, order_id=...)` opens a unit of work, calls the function and
rolls back: no command, no handler table, no commit, no idempotency record.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.domain.errors import NotFound
from core.domain.rules import DEFAULT_RULE_SET
from core.service_layer import views
from core.service_layer.handlers.lookups import require
from core.service_layer.unit_of_work import UnitOfWork


def get_product(uow: UnitOfWork, *, sku: str) -> views.View:
    return views.product(require(uow.products, sku, what="product", field="sku"))


def list_products(uow: UnitOfWork, *, offset: int = 0, limit: int = 50,
                  category: str | None = None) -> views.View:
    where = {"category": category} if category else {}
    found = uow.products.list(offset=offset, limit=limit + 1, **where)
    return {"items": [views.product(p) for p in found[:limit]], "offset": offset,
            "limit": limit, "has_more": len(found) > limit}


def get_stock(uow: UnitOfWork, *, sku: str) -> views.View:
    return views.stock(require(uow.stock, sku, what="product", field="product_id"))


def get_order(uow: UnitOfWork, *, order_id: str) -> views.View:
    return views.order(require(uow.orders, order_id, what="order", field="order_id"))


def find_api_key(uow: UnitOfWork, *, key_hash: str) -> views.View:
    """A live key's name and scopes by its hash; NotFound for an unknown or revoked one."""
    key = uow.api_keys.get(key_hash)
    if key is None or key.revoked:
        raise NotFound("unknown API key", field="key")
    return {"key_id": key.key_id, "name": key.name, "scopes": list(key.scopes)}


def get_community(uow: UnitOfWork, *, community_id: str) -> views.View:
    return views.community(require(uow.communities, community_id, what="community",
                                   field="community_id"))


def get_post(uow: UnitOfWork, *, post_id: str) -> views.View:
    return views.post(require(uow.posts, post_id, what="post", field="post_id"))


def get_show(uow: UnitOfWork, *, show_id: str) -> views.View:
    return views.show(require(uow.shows, show_id, what="show", field="show_id"))


def get_rule_set(uow: UnitOfWork) -> views.View:
    """Every merchandising rule (active or not) and the rule set's revision."""
    return views.rule_set(uow.rule_sets.get(DEFAULT_RULE_SET))


def rule_set_revision(uow: UnitOfWork) -> int:
    """The rule set's revision alone (0 before the first rule): what replicas poll."""
    found = uow.rule_sets.get(DEFAULT_RULE_SET)
    return 0 if found is None else found.revision


MAX_MEMBERSHIPS = 1_000  # communities read per user: what a list of communities leaves out


def joined_communities(uow: UnitOfWork, *, user_id: str) -> list[str]:
    """The communities the user is a member of, as item ids (`community:<id>`), one indexed
    read (migration 0006)."""
    return [f"community:{c}" for c in uow.memberships(user_id, limit=MAX_MEMBERSHIPS)]


def item_attributes(uow: UnitOfWork, *, item_ids: list[str]) -> dict[str, views.View]:
    """What merchandising rules may match beyond an item's kind, for the items the core
    holds, in one read (`UnitOfWork.item_rows`): a product's category, price, sellers (its
    listings) and publication time (`published_at`, epoch seconds, None before migration
    0005), a post's community as its category, a comment's post's community. Items the core
    does not hold are left out."""
    keys: dict[str, list[str]] = {"product": [], "post": [], "comment": []}
    for item_id in dict.fromkeys(item_ids):
        kind, _, key = item_id.partition(":")
        if kind in keys and key:
            keys[kind].append(key)
    out: dict[str, views.View] = {}
    for row in uow.item_rows(products=keys["product"], posts=keys["post"],
                             comments=keys["comment"]):
        view = out.setdefault(f"{row.kind}:{row.key}", {
            "category": row.category,
            "price": None if row.price is None else float(row.price),
            "sellers": [], "published_at": _epoch(row.created_at)})
        if row.seller is not None and row.seller not in view["sellers"]:
            view["sellers"].append(row.seller)
    for view in out.values():
        view["sellers"].sort()
    return out


def _epoch(at: datetime | None) -> float | None:
    """Seconds since the epoch; a naive time is UTC (SQLite keeps no zone)."""
    if at is None:
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()
