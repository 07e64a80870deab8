"""One generic SQLAlchemy repository: get (optionally row-locked), add, list with paging."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

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
