"""The relational schema (SQLAlchemy Core). Alembic migrations are generated from it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    text,
)

from core.domain.money import CENT

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class Cents(TypeDecorator[Decimal]):
    """A Decimal amount stored exactly as integer cents (SQLite has no exact decimal)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else int((value / CENT).to_integral_exact())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else (Decimal(int(value)) * CENT).quantize(CENT)


def _id(name: str, *args: Any, **kw: Any) -> Column[str]:
    return Column(name, String(128), *args, **kw)


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False)


def _created() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False,
                  server_default=func.current_timestamp())


products = Table(
    "products", metadata,
    _id("sku", primary_key=True),
    Column("title", String(1000), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(128), nullable=False, index=True),
    Column("tags", JSON, nullable=False),
    Column("price_amount", Cents, nullable=False),
    Column("price_currency", String(3), nullable=False),
    _version(),
    # when the catalogue first held it (the domain dates it; migration 0005 left the rows
    # before it unknown): what merchandising rules' freshness conditions match
    Column("created_at", DateTime(timezone=True)),
)

listings = Table(
    "listings", metadata,
    _id("listing_id", primary_key=True),
    _id("seller_id", nullable=False, index=True),
    # indexed (0004): the sellers of a product, which merchandising rules match
    _id("product_sku", ForeignKey("products.sku"), nullable=False, index=True),
    Column("price_amount", Cents, nullable=False),
    Column("price_currency", String(3), nullable=False),
    _version(),
)

stock = Table(
    "stock", metadata,
    _id("product_sku", ForeignKey("products.sku"), primary_key=True),
    Column("available", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    _version(),
    CheckConstraint("available >= 0", name="available_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
)

orders = Table(
    "orders", metadata,
    _id("order_id", primary_key=True),
    _id("user_id", nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("total_amount", Cents, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_method", String(20)),
    Column("payment_reference", String(128)),
    Column("failure_reason", String(200)),
    _version(),
    _created(),
    # since when the order is in its status (the domain sets it; migration 0003 backfilled it)
    Column("status_changed_at", DateTime(timezone=True)),
)
# what the sweeper walks: orders still holding stock, oldest first (migration 0003)
_SWEPT = "status IN ('placed', 'paying')"
Index("ix_orders_sweep", orders.c.status, orders.c.status_changed_at,
      postgresql_where=text(_SWEPT), sqlite_where=text(_SWEPT))

order_lines = Table(
    "order_lines", metadata,
    _id("order_id", ForeignKey("orders.order_id"), primary_key=True),
    _id("product_sku", ForeignKey("products.sku"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_amount", Cents, nullable=False),
    Column("unit_currency", String(3), nullable=False),
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

users = Table(
    "users", metadata,
    _id("user_id", primary_key=True),
    Column("email", String(320), nullable=False),
    Column("roles", JSON, nullable=False),
    _version(),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("revoked", Boolean, nullable=False),
)

communities = Table(
    "communities", metadata,
    _id("community_id", primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    _version(),
)

memberships = Table(
    "memberships", metadata,
    _id("community_id", ForeignKey("communities.community_id"), primary_key=True),
    # indexed (0006): the communities a user joined, which recommendations leave out
    _id("user_id", primary_key=True, index=True),
    Column("role", String(20), nullable=False),
)

posts = Table(
    "posts", metadata,
    _id("post_id", primary_key=True),
    _id("community_id", ForeignKey("communities.community_id"), nullable=False, index=True),
    _id("author_id", nullable=False),
    Column("title", String(1000), nullable=False),
    Column("body", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("score", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    _version(),
)

comments = Table(
    "comments", metadata,
    _id("comment_id", primary_key=True),
    _id("post_id", ForeignKey("posts.post_id"), nullable=False, index=True),
    _id("author_id", nullable=False),
    Column("body", Text, nullable=False),
    Column("score", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    _version(),
)

votes = Table(
    "votes", metadata,
    Column("target_type", String(20), primary_key=True),
    _id("target_id", primary_key=True),
    _id("user_id", primary_key=True),
    Column("value", Integer, nullable=False),
)

moderation_actions = Table(
    "moderation_actions", metadata,
    _id("action_id", primary_key=True),
    _id("community_id", nullable=False, index=True),
    Column("target_type", String(20), nullable=False),
    _id("target_id", nullable=False),
    _id("moderator_id", nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reason", String(1000), nullable=False),
    _created(),
)

shows = Table(
    "shows", metadata,
    _id("show_id", primary_key=True),
    Column("title", String(1000), nullable=False),
    _id("owner_id", nullable=False),
    Column("description", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    _version(),
)

episodes = Table(
    "episodes", metadata,
    _id("episode_id", primary_key=True),
    _id("show_id", ForeignKey("shows.show_id"), nullable=False, index=True),
    Column("title", String(1000), nullable=False),
    Column("description", Text, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("tags", JSON, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(400), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSON, nullable=False),
    _created(),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("aggregate_key", String(300), nullable=False),
    Column("shard", Integer, nullable=False),
    Column("topic", String(200), nullable=False),
    Column("message_key", String(300), nullable=False),
    Column("payload", Text, nullable=False),
    _created(),
    Column("sent_at", DateTime(timezone=True)),
)
Index("ix_outbox_pending", outbox.c.shard, outbox.c.id,
      postgresql_where=outbox.c.sent_at.is_(None), sqlite_where=text("sent_at IS NULL"))
# what the relay's purge of sent rows past their retention walks
Index("ix_outbox_sent", outbox.c.sent_at,
      postgresql_where=outbox.c.sent_at.is_not(None), sqlite_where=text("sent_at IS NOT NULL"))

outbox_shards = Table(
    "outbox_shards", metadata,
    Column("shard", Integer, primary_key=True, autoincrement=False),
    Column("leased_by", String(100)),
    Column("leased_until", Float),
)

# The sandbox gateway's own ledger (a real provider keeps it on its side): the first answer
# per idempotency key, shared by every process on the database (migration 0003).
sandbox_payments = Table(
    "sandbox_payments", metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("approved", Boolean, nullable=False),
    Column("reference", String(128), nullable=False),
    Column("reason", String(200)),
    _created(),
)

# Merchandising rules (migration 0004): one row per rule set with the revision every change
# raises (what each API replica polls), and its rules.
rule_sets = Table(
    "rule_sets", metadata,
    _id("rule_set_id", primary_key=True),
    Column("revision", Integer, nullable=False),
    _version(),
)

merchandising_rules = Table(
    "merchandising_rules", metadata,
    _id("rule_id", primary_key=True),
    _id("rule_set_id", ForeignKey("rule_sets.rule_set_id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("match", JSON, nullable=False),
    Column("weight", Float),
    Column("mode", String(20)),
    _id("item_id"),
    Column("position", Integer),
    Column("share", Float),
    Column("active", Boolean, nullable=False),
    Column("created_seq", Integer, nullable=False),
)
