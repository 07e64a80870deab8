"""In-memory unit of work for the service layer's unit tests."""

from __future__ import annotations

import copy
import itertools
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from core.adapters.mapping import TABLES
from core.adapters.sandbox_payments import SandboxPaymentGateway
from core.bootstrap import bootstrap
from core.domain.aggregate import Aggregate
from core.domain.events import DomainEvent
from core.domain.orders import Order, OrderStatus
from core.domain.payments import PaymentRequest, PaymentResult
from core.service_layer.messagebus import MessageBus
from core.service_layer.unit_of_work import ItemRow, UnitOfWork, repositories


def primary_key(entity: type[Any]) -> Callable[[Any], Any]:
    """The entity's key as its table declares it (one column: the value, else a tuple)."""
    columns = [c.name for c in TABLES[entity].primary_key.columns]
    if len(columns) == 1:
        return operator.attrgetter(columns[0])
    return operator.attrgetter(*columns)


class FakeRepository:
    def __init__(self, *, key: Callable[[Any], Any]) -> None:
        self.key = key
        self.items: dict[Any, Any] = {}

    def add(self, obj: Any) -> None:
        self.items[self.key(obj)] = obj

    def get(self, key: Any, *, for_update: bool = False) -> Any:
        return self.items.get(key)

    def list(self, *, offset: int = 0, limit: int = 50, **where: Any) -> list[Any]:
        found = [o for k, o in sorted(self.items.items())
                 if all(getattr(o, f) == v for f, v in where.items())]
        return found[offset:offset + limit]


class FakeOrderRepository(FakeRepository):
    def overdue(self, *, status: OrderStatus, before: datetime, limit: int) -> list[Order]:
        found = [o for o in self.items.values()
                 if o.status == status and o.status_changed_at < before]
        return sorted(found, key=lambda o: o.status_changed_at)[:limit]


class FakeUnitOfWork(UnitOfWork):
    """Shared state across units of work, like one database; commit publishes to `outbox`."""

    def __init__(self) -> None:
        for name, entity in repositories().items():
            setattr(self, name, (FakeOrderRepository if entity is Order else FakeRepository)(
                key=primary_key(entity)))
        self.outbox: list[DomainEvent] = []
        self.commits = 0

    def __enter__(self) -> UnitOfWork:
        self._saved = {n: copy.deepcopy(r.items) for n, r in self._repos()}
        self._committed = False
        return self

    def _repos(self) -> list[tuple[str, FakeRepository]]:
        return [(n, r) for n, r in vars(self).items() if isinstance(r, FakeRepository)]

    def item_rows(self, *, products: Sequence[str], posts: Sequence[str],
                  comments: Sequence[str]) -> list[ItemRow]:
        rows = []
        for sku in products:
            if (p := self.products.get(sku)) is not None:
                sellers: list[str | None] = [
                    ln.seller_id for ln in self.listings.list(product_sku=sku, limit=10_000)]
                sellers = sellers or [None]
                rows += [ItemRow("product", sku, p.category, p.price.amount, p.created_at, s)
                         for s in sellers]
        for post_id in posts:
            if (post := self.posts.get(post_id)) is not None:
                rows.append(ItemRow("post", post_id, post.community_id))
        for comment_id in comments:
            comment = self.comments.get(comment_id)
            if comment is not None and (post := self.posts.get(comment.post_id)):
                rows.append(ItemRow("comment", comment_id, post.community_id))
        return rows

    def memberships(self, user_id: str, *, limit: int) -> list[str]:
        return [c.community_id for c in self.communities.list(limit=10_000)
                if c.role_of(user_id) is not None][:limit]

    def touched(self) -> Iterable[Aggregate]:
        for _, repo in self._repos():
            yield from (o for o in repo.items.values() if isinstance(o, Aggregate))

    def write_outbox(self, events: list[DomainEvent]) -> None:
        self.outbox.extend(events)

    def _commit(self) -> None:
        # the bus commits each unit of work once; a handler never commits
        assert not self._committed, "a unit of work committed twice"
        self._committed = True
        self.commits += 1
        self._saved = {n: r.items for n, r in self._repos()}

    def rollback(self) -> None:
        """Back to the state of the last commit, like a database."""
        for name, repo in self._repos():
            repo.items = self._saved[name]


def fake_bus() -> tuple[MessageBus, FakeUnitOfWork]:
    uow = FakeUnitOfWork()
    counter = itertools.count(1)
    bus = bootstrap(uow_factory=lambda: uow, gateway=SandboxPaymentGateway(),
                    new_id=lambda: f"id{next(counter)}")
    return bus, uow


class LostCharge:
    """A gateway link that fails mid-charge, as a crash or a timeout would: the charge
    reaches `inner` (`reaches=True`) or not, and the caller gets an error either way."""

    def __init__(self, inner: SandboxPaymentGateway, *, reaches: bool) -> None:
        self.inner, self.reaches = inner, reaches

    def charge(self, request: PaymentRequest) -> PaymentResult:
        if self.reaches:
            self.inner.charge(request)
        raise ConnectionError("the gateway's answer was lost")

    def resolve(self, idempotency_key: str) -> PaymentResult:
        return self.inner.resolve(idempotency_key)
