"""One generic SQLAlchemy repository: get (optionally row-locked), add, list with paging; the
orders' one adds what the sweeper asks for."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from core.adapters.tables import orders
from core.domain.orders import Order, OrderStatus

T = TypeVar("T")


class SqlRepository(Generic[T]):
    def __init__(self, *, session: Session, cls: type[T]) -> None:
        self.session = session
        self.cls = cls

    def add(self, obj: T) -> None:
        self.session.add(obj)

    def get(self, key: Any, *, for_update: bool = False) -> T | None:
        if for_update:
            # populate_existing: lock the row even when it is already in the identity map.
            return self.session.get(self.cls, key, with_for_update=True, populate_existing=True)
        return self.session.get(self.cls, key)

    def list(self, *, offset: int = 0, limit: int = 50, **where: Any) -> list[T]:
        order = inspect(self.cls).primary_key
        stmt = select(self.cls).filter_by(**where).order_by(*order).offset(offset).limit(limit)
        return list(self.session.scalars(stmt))


class SqlOrderRepository(SqlRepository[Order]):
    def overdue(self, *, status: OrderStatus, before: datetime, limit: int) -> list[Order]:
        # SKIP LOCKED: concurrent sweepers take disjoint batches instead of queueing on the
        # same rows (SQLite ignores it; BEGIN IMMEDIATE runs one writer at a time there).
        stmt = (select(Order)
                .where(orders.c.status == status.value, orders.c.status_changed_at < before)
                .order_by(orders.c.status_changed_at).limit(limit)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True))
        return list(self.session.scalars(stmt))
