"""JSON-ready views of aggregates: what handlers return and idempotency records store."""

from __future__ import annotations

from typing import Any

from core.domain.catalog import Listing, Product
from core.domain.communities import Comment, Community, Post
from core.domain.inventory import Stock
from core.domain.money import Money
from core.domain.orders import Order
from core.domain.podcasts import Episode, Show
from core.domain.rules import Rule, RuleSet

View = dict[str, Any]


def money(value: Money) -> View:
    return {"amount": str(value.amount), "currency": value.currency}


def product(p: Product) -> View:
    return {"sku": p.sku, "title": p.title, "description": p.description,
            "category": p.category, "tags": list(p.tags), "price": money(p.price),
            "version": p.version}


def listing(item: Listing) -> View:
    return {"listing_id": item.listing_id, "seller_id": item.seller_id,
            "sku": item.product_sku, "price": money(item.price)}


def stock(s: Stock) -> View:
    return {"sku": s.product_sku, "available": s.available, "reserved": s.reserved}


def order(o: Order) -> View:
    return {
        "order_id": o.order_id, "user_id": o.user_id, "status": str(o.status),
        "currency": o.total.currency, "total": money(o.total),
        "lines": [{"sku": ln.product_sku, "quantity": ln.quantity,
                   "unit_price": money(ln.unit_price)} for ln in o.lines],
        "payment_method": o.payment_method, "payment_reference": o.payment_reference,
        "failure_reason": o.failure_reason,
    }


def community(c: Community) -> View:
    return {"community_id": c.community_id, "name": c.name, "description": c.description,
            "members": [{"user_id": m.user_id, "role": m.role} for m in c.memberships]}


def post(p: Post) -> View:
    return {"post_id": p.post_id, "community_id": p.community_id, "author_id": p.author_id,
            "title": p.title, "body": p.body, "tags": list(p.tags), "score": p.score,
            "status": p.status}


def comment(c: Comment) -> View:
    return {"comment_id": c.comment_id, "post_id": c.post_id, "author_id": c.author_id,
            "body": c.body, "score": c.score, "status": c.status}


def episode(e: Episode) -> View:
    return {"episode_id": e.episode_id, "show_id": e.show_id, "title": e.title,
            "description": e.description, "duration_s": e.duration_s, "tags": list(e.tags)}


def show(s: Show) -> View:
    return {"show_id": s.show_id, "title": s.title, "owner_id": s.owner_id,
            "description": s.description, "tags": list(s.tags),
            "episodes": [episode(e) for e in s.episodes]}


def rule(r: Rule, *, revision: int) -> View:
    return {"rule_id": r.rule_id, "action": r.action, "name": r.name, "match": dict(r.match),
            "weight": r.weight, "mode": r.mode, "item_id": r.item_id, "position": r.position,
            "share": r.share, "active": r.active, "revision": revision}


def rule_set(s: RuleSet | None) -> View:
    if s is None:
        return {"revision": 0, "rules": []}
    return {"revision": s.revision, "rules": [rule(r, revision=s.revision) for r in s.rules]}
