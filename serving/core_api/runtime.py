"""The transactional core inside the API: its bus, its API keys, its errors as HTTP codes."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import HTTPException
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from agora.settings import ServingSettings
from contracts import EventError
from core.adapters.database import is_outage
from core.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from core.service_layer import reads
from core.service_layer.commands import Command
from core.service_layer.messagebus import MessageBus
from core.service_layer.views import View
from features.item_texts import item_words
from serving.edge.auth import KeyRing, Principal, static_keys
from serving.schemas.errors import Error

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (InvalidInput, 422), (NotFound, 404), (Conflict, 409), (Forbidden, 403))
DATABASE_RETRY_AFTER_S = 5
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
# What any of the core's routes may answer besides its success (the edge adds 401, 403, 413,
# 429; FastAPI the 422 of a malformed request, which a broken domain rule shares).
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Error, "description": "An entity the request names does not exist"},
    503: {"model": Error, "headers": RETRY_AFTER,
          "description": "The database is unavailable; nothing was committed, retry later"},
}
# ... and what a change may answer besides.
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": Error, "description": "The entity's state refuses the change (a sku that "
                                         "exists, an order already paid, stock short)"},
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def http_error(exc: DomainError) -> HTTPException:
    """422 broken rule, 404 unknown entity, 409 state clash, 403 missing role; names the field."""
    status = next((code for cls, code in STATUS if isinstance(exc, cls)), 400)
    loc: list[str | int] = [int(p) if p.isdigit() else p for p in (exc.field or "").split(".") if p]
    return HTTPException(status, [{"loc": loc, "msg": exc.message,
                                   "type": _snake(type(exc).__name__)}])


def unavailable() -> HTTPException:
    """503 with Retry-After: the database is down or restarting; the command did not commit
    (a pay left `paying` is finished by a retry or by the sweeper)."""
    return HTTPException(503, [{"loc": [], "msg": "the database is unavailable; retry later",
                                "type": "unavailable"}],
                         headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


@contextmanager
def _answered(what: str) -> Iterator[None]:
    """Domain errors become HTTP errors, an outage a 503."""
    try:
        yield
    except DomainError as exc:
        raise http_error(exc) from exc
    except EventError as exc:  # a result beyond the contract's bounds (an order's total, stock)
        loc: list[str | int] = [int(p) if p.isdigit() else p for p in exc.field.split(".")]
        raise HTTPException(422, [{"loc": loc, "msg": exc.reason,
                                   "type": "event_contract"}]) from exc
    except (SQLAlchemyError, psycopg.Error) as exc:  # psycopg: the async order path
        if not is_outage(exc):
            raise
        log.warning("database unavailable for %s: %s", what, type(exc).__name__)
        raise unavailable() from None


def execute(bus: MessageBus, command: Command, *, idempotency_key: str | None = None) -> View:
    """Run a command; domain errors become HTTP errors, an outage a 503 (call from a sync
    route)."""
    with _answered(type(command).__name__):
        return bus.handle(command, idempotency_key=idempotency_key)


def read(bus: MessageBus, query: Callable[..., View], /, **args: Any) -> View:
    """A read of core/service_layer/reads.py, with `execute`'s errors (from a sync route)."""
    with _answered(query.__name__):
        return bus.read(query, **args)


async def execute_async(bus: MessageBus, command: Command, *,
                        idempotency_key: str | None = None) -> View:
    """`execute` from an async route: the command's async handler where the bus has one
    (placing an order on PostgreSQL), otherwise the sync one in a worker thread."""
    with _answered(type(command).__name__):
        return await bus.handle_async(command, idempotency_key=idempotency_key)


def _db_lookup(bus: MessageBus) -> Any:
    def lookup(key_hash: str) -> Principal | None:
        try:
            found = bus.read(reads.find_api_key, key_hash=key_hash)
        except NotFound:
            return None
        except SQLAlchemyError as exc:  # not cached: the next request asks again
            if not is_outage(exc):
                raise
            raise unavailable() from None
        return Principal(key_id=found["key_id"], name=found["name"],
                         scopes=frozenset(found["scopes"]))

    return lookup


async def product_words(bus: MessageBus, sku: str) -> tuple[str, str] | None:
    """A catalogue product's words and category (for content neighbours of a product no model
    has seen yet); None when the core knows no such product or does not answer."""
    try:
        found = await run_in_threadpool(bus.read, reads.get_product, sku=sku)
    except (NotFound, InvalidInput):
        return None
    except SQLAlchemyError as exc:  # the catalogue is down: the caller serves popular items
        log.warning("catalogue unavailable for product words: %s", type(exc).__name__)
        return None
    category = str(found["category"])
    return item_words(found["title"], found["description"], category,
                      tags=found["tags"]), category


async def joined_communities(bus: MessageBus, user_id: str) -> frozenset[str]:
    """The communities (`community:<id>`) the user is a member of in the core; raises when
    the core does not answer (the caller goes on with what the history says)."""
    return frozenset(await run_in_threadpool(bus.read, reads.joined_communities,
                                             user_id=user_id))


@dataclass(frozen=True, slots=True)
class OpenCore:
    """The core as the API holds it: its message bus and the key ring over its API keys."""

    bus: MessageBus
    api_keys: KeyRing


@asynccontextmanager
async def open_core(settings: ServingSettings) -> AsyncIterator[OpenCore]:
    """Open the core's database (migrating an embedded SQLite file) and its key ring."""
    from core.bootstrap import bootstrap_database, migrate_embedded

    await run_in_threadpool(migrate_embedded, settings.database_url)
    bus, close = bootstrap_database(database_url=settings.database_url,
                                    pool_size=settings.database_pool_size)
    admin = settings.admin_api_key
    keys = KeyRing(
        static=static_keys([("admin", admin.get_secret_value(), ["*"])] if admin else []),
        lookup=_db_lookup(bus), ttl_s=settings.api_key_cache_s)
    try:
        yield OpenCore(bus=bus, api_keys=keys)
    finally:
        await bus.aclose()
        close()
