"""The catalogue attributes merchandising rules match, read in one statement however many
items a request asks about, and a user's memberships in one read (SQLite and PostgreSQL),
counted with SQLAlchemy's cursor event."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event

from core.adapters.database import create_database_engine
from core.adapters.sandbox_payments import SandboxPaymentGateway
from core.adapters.unit_of_work import SqlUnitOfWork, session_factory
from core.bootstrap import bootstrap
from core.domain.money import Money
from core.service_layer import commands as c
from core.service_layer import reads
from core.service_layer.messagebus import MessageBus


@pytest.fixture
def engine(core_database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(core_database_url, pool_size=2)
    yield engine
    engine.dispose()


def counted(engine: Engine) -> list[str]:
    """The statements the engine runs from now on."""
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    return statements


def catalogue(engine: Engine, products: int) -> tuple[MessageBus, str, str]:
    """The bus, a post of community g1 and a comment on it."""
    sessions = session_factory(engine)
    bus = bootstrap(uow_factory=lambda: SqlUnitOfWork(session_factory=sessions),
                    gateway=SandboxPaymentGateway())
    bus.handle(c.CreateCommunity(community_id="g1", name="Gardeners", owner_id="u1"))
    post = bus.handle(c.CreatePost(community_id="g1", author_id="u1", title="Roses"))
    comment = bus.handle(c.CreateComment(post_id=post["post_id"], author_id="u1", body="yes"))
    for n in range(products):
        price = Money(amount=Decimal(n), currency="USD")
        bus.handle(c.UpsertProduct(sku=f"sku{n}", title=f"item {n}", price=price,
                                   category="even" if n % 2 == 0 else "odd"))
        for seller in ("s-a", "s-b")[:1 + n % 2]:
            bus.handle(c.CreateListing(seller_id=seller, sku=f"sku{n}", price=price))
    return bus, f"post:{post['post_id']}", f"comment:{comment['comment_id']}"


@pytest.mark.parametrize("asked", [1, 60])
def test_attributes_of_a_request_are_one_statement(engine: Engine, asked: int) -> None:
    bus, post, comment = catalogue(engine, products=60)
    ids = [f"product:sku{n}" for n in range(asked)] + [
        post, comment, "product:unknown", "episode:e1", "post:"]
    statements = counted(engine)
    found = bus.read(reads.item_attributes, item_ids=ids)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, (
        statements)
    assert set(found) == {f"product:sku{n}" for n in range(asked)} | {post, comment}
    last = found[f"product:sku{asked - 1}"]
    assert last["category"] == ("even" if (asked - 1) % 2 == 0 else "odd")
    assert last["price"] == float(asked - 1)
    assert last["sellers"] == (["s-a", "s-b"] if (asked - 1) % 2 else ["s-a"])
    assert abs(last["published_at"] - time.time()) < 120
    assert found[post] == found[comment] == {
        "category": "g1", "price": None, "sellers": [], "published_at": None}


def test_nothing_the_core_holds_asks_nothing(engine: Engine) -> None:
    bus, _, _ = catalogue(engine, products=0)
    statements = counted(engine)
    assert bus.read(reads.item_attributes, item_ids=["episode:e1", "show:s1"]) == {}
    assert not [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_communities_a_user_joined_are_one_indexed_read(engine: Engine) -> None:
    bus, _, _ = catalogue(engine, products=0)
    bus.handle(c.CreateCommunity(community_id="g0", name="Zero", owner_id="u9"))
    bus.handle(c.JoinCommunity(community_id="g0", user_id="u1"))
    statements = counted(engine)
    assert bus.read(reads.joined_communities, user_id="u1") == ["community:g0", "community:g1"]
    assert bus.read(reads.joined_communities, user_id="nobody") == []
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2
