"""The message bus: runs each command's handler in its own unit of work, and reads beside.

The bus owns the transaction: it commits what the handler changed together with the outbox
rows and, for requests carrying an Idempotency-Key, the first result to replay on a retry.
A handler that needs a call outside the database in the middle of its work (the payment
gateway) returns `CallOutside`: the bus commits the first part, makes the call holding no
transaction, and commits the rest in a second unit of work; a handler never commits itself.
`read` runs a plain read function (core/service_layer/reads.py) and commits nothing.
`handle_async` runs a command's async handler where one is wired (the order path on
PostgreSQL, core/service_layer/placing.py, which keeps these same guarantees itself), and
the sync handler in a worker thread otherwise.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from anyio import to_thread

from core.domain.errors import Conflict, InvalidInput
from core.service_layer.commands import Command
from core.service_layer.unit_of_work import IdempotencyRecord, UnitOfWork
from core.service_layer.views import View

log = logging.getLogger(__name__)

A = TypeVar("A")
T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, kw_only=True)
class CallOutside(Generic[A]):
    """What a handler returns when the rest of its work must wait for `call` (a network call):
    the bus commits the handler's unit of work, calls `call` holding no transaction or row
    lock, then runs `then(answer, uow)` in a new unit of work and commits that."""

    call: Callable[[], A]
    then: Callable[[A, UnitOfWork], View]


Handler = Callable[[Any, UnitOfWork], View | CallOutside[Any]]
# (command, *, idempotency_key) -> the view
AsyncHandler = Callable[..., Awaitable[View]]


class IdempotencyKeyReused(InvalidInput):
    """The key was first used for a different request."""


def fingerprint(command: Command) -> str:
    return hashlib.sha256(repr(command).encode()).hexdigest()


class MessageBus:
    def __init__(self, *, uow_factory: Callable[[], UnitOfWork],
                 handlers: Mapping[type[Command], Handler],
                 async_handlers: Mapping[type[Command], AsyncHandler] | None = None,
                 closers: tuple[Callable[[], Awaitable[None]], ...] = ()) -> None:
        self.uow_factory = uow_factory
        self.handlers = dict(handlers)
        self.async_handlers = dict(async_handlers or {})
        self._closers = closers

    async def handle_async(self, command: Command, *,
                           idempotency_key: str | None = None) -> View:
        handler = self.async_handlers.get(type(command))
        if handler is None:
            return await to_thread.run_sync(partial(self.handle, command,
                                                    idempotency_key=idempotency_key))
        return await handler(command, idempotency_key=idempotency_key)

    async def aclose(self) -> None:
        """Close what the async handlers opened (their connection pool)."""
        for close in self._closers:
            await close()

    def read(self, query: Callable[Concatenate[UnitOfWork, P], T], /,
             *args: P.args, **kwargs: P.kwargs) -> T:
        """`query(uow, ...)` in a unit of work of its own, rolled back (nothing to commit)."""
        with self.uow_factory() as uow:
            return query(uow, *args, **kwargs)

    def handle(self, command: Command, *, idempotency_key: str | None = None) -> View:
        handler = self.handlers[type(command)]
        try:
            with self.uow_factory() as uow:
                if idempotency_key is not None:
                    stored = _replay(uow, idempotency_key, command)
                    if stored is not None:
                        return stored
                outcome = handler(command, uow)
                if not isinstance(outcome, CallOutside):
                    return _commit(uow, command, outcome, idempotency_key)
                uow.commit()  # what the call must find (an order `paying`), and no lock held
            answer = outcome.call()
            with self.uow_factory() as uow:
                return _commit(uow, command, outcome.then(answer, uow), idempotency_key)
        except Conflict:
            if idempotency_key is None:
                raise
            # A concurrent first attempt with the same key may have committed meanwhile.
            with self.uow_factory() as uow:
                stored = _replay(uow, idempotency_key, command)
            if stored is None:
                raise
            log.info("idempotent replay after conflict for key %s", idempotency_key)
            return stored


def _commit(uow: UnitOfWork, command: Command, result: View, key: str | None) -> View:
    """Commit the unit of work with, under an Idempotency-Key, the result to replay."""
    if key is not None:
        uow.idempotency.add(IdempotencyRecord(key=key, fingerprint=fingerprint(command),
                                              result=result))
    uow.commit()
    return result


def _replay(uow: UnitOfWork, key: str, command: Command) -> View | None:
    record = uow.idempotency.get(key)
    if record is None:
        return None
    if record.fingerprint != fingerprint(command):
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request",
                                   field="Idempotency-Key")
    return record.result
