"""The SQLAlchemy unit of work: one session, one transaction, database errors made domain ones."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType

from sqlalchemy import Engine, event, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from core.adapters import outbox
from core.adapters.catalogue import item_rows_statement
from core.adapters.mapping import start_mappers
from core.adapters.repositories import SqlOrderRepository, SqlRepository
from core.adapters.tables import memberships
from core.domain.aggregate import Aggregate
from core.domain.errors import Conflict, DomainError, InvalidInput
from core.domain.events import DomainEvent
from core.domain.orders import Order
from core.service_layer.unit_of_work import ItemRow, UnitOfWork, repositories


def _translate(exc: BaseException) -> DomainError | None:
    if isinstance(exc, IntegrityError):
        return Conflict("conflicts with existing data (duplicate or concurrent write)")
    if isinstance(exc, StaleDataError):
        return Conflict("changed concurrently; retry")
    if isinstance(exc, DataError):
        return InvalidInput("a value does not fit the database")
    if isinstance(exc, OperationalError) and getattr(exc.orig, "sqlstate", None) in (
            "40001", "40P01"):  # serialization failure, deadlock
        return Conflict("concurrent update; retry")
    return None


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, *, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = session = self.session_factory()
        # The identity map holds clean objects weakly: an aggregate whose change was
        # autoflushed (by the next row-locking read) and that the handler no longer
        # references would vanish from it with its recorded events. Keep them all.
        self._seen: list[Aggregate] = []
        event.listen(session, "loaded_as_persistent", self._keep)
        event.listen(session, "transient_to_pending", self._keep)
        for name, entity in repositories().items():
            kind = SqlOrderRepository if entity is Order else SqlRepository
            setattr(self, name, kind(session=session, cls=entity))
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            super().__exit__(et, ev, tb)
        finally:
            self.session.close()
        translated = _translate(ev) if isinstance(ev, DBAPIError | StaleDataError) else None
        if translated is not None:
            raise translated from ev

    def _keep(self, session: Session, instance: object) -> None:
        if isinstance(instance, Aggregate):
            self._seen.append(instance)

    def item_rows(self, *, products: Sequence[str], posts: Sequence[str],
                  comments: Sequence[str]) -> list[ItemRow]:
        statement = item_rows_statement(products=products, posts=posts, comments=comments)
        if statement is None:
            return []
        return [ItemRow(*row) for row in self.session.execute(statement)]

    def memberships(self, user_id: str, *, limit: int) -> list[str]:
        m = memberships
        found = self.session.execute(select(m.c.community_id).where(m.c.user_id == user_id)
                                     .order_by(m.c.community_id).limit(limit))
        return [str(community) for community in found.scalars()]

    def touched(self) -> Iterable[Aggregate]:
        objects = (*self._seen, *self.session.identity_map.values(), *self.session.new)
        unique = {id(obj): obj for obj in objects if isinstance(obj, Aggregate)}
        return list(unique.values())

    def write_outbox(self, events: list[DomainEvent]) -> None:
        self.session.flush()
        outbox.write(self.session.connection(), events)

    def _commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    start_mappers()
    return sessionmaker(bind=engine, expire_on_commit=False)
