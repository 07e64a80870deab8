"""The catalogue as merchandising rules read it: one statement for every item of a request
(a `UNION ALL` of products with their listings, posts, and comments with their post's
community, each branch one `IN` over its ids), not one query per item."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, literal_column, null, select, union_all
from sqlalchemy.sql.expression import CompoundSelect

from core.adapters import tables as t

Rows = Select[tuple[object, ...]]


def item_rows_statement(*, products: Sequence[str], posts: Sequence[str],
                        comments: Sequence[str]) -> Rows | CompoundSelect | None:
    """Columns kind, key, category, price, created_at, seller; None when nothing is asked.
    Products come first: a union's column types are its first branch's (cents, dates)."""
    parts: list[Rows] = []
    if products:
        p, ln = t.products, t.listings
        parts.append(select(
            literal_column("'product'").label("kind"), p.c.sku.label("key"),
            p.c.category.label("category"), p.c.price_amount.label("price"),
            p.c.created_at.label("created_at"), ln.c.seller_id.label("seller"),
        ).select_from(p.outerjoin(ln, ln.c.product_sku == p.c.sku))
            .where(p.c.sku.in_(list(products))))
    if posts:
        parts.append(select(
            literal_column("'post'"), t.posts.c.post_id, t.posts.c.community_id, null(),
            null(), null()).where(t.posts.c.post_id.in_(list(posts))))
    if comments:
        c = t.comments
        parts.append(select(
            literal_column("'comment'"), c.c.comment_id, t.posts.c.community_id, null(),
            null(), null()).select_from(c.join(t.posts, t.posts.c.post_id == c.c.post_id))
            .where(c.c.comment_id.in_(list(comments))))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)
