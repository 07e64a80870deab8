"""Whose fault an error is: the event's (dead-letter it) or a dependency's (wait and retry).

The stores translate every driver error into `StoreUnavailable` at their edge; the driver's
error stays its cause, and that tells an outage (a connection, a timeout, a full disk, a
read-only replica) from a refusal of the data itself (a value the store cannot hold, a key
of another type, a constraint). A refusal is the fault of the events that produced the
write, exactly like an exception in a context's logic; everything else that stops a
dependency is an outage, retried with back-off and never dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiokafka.errors import KafkaError
from redis import exceptions as redis_errors

from features.online import (
    IncrFields,
    IncrScores,
    Once,
    SetFields,
    SetMissing,
    SetScores,
    StoreUnavailable,
    Take,
    Write,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_DELAY_S = 0.1
MAX_DELAY_S = 5.0
# Every number a write carries stays below this magnitude: an int64 column and a float64
# counter (Redis, SQLite) both hold it, and sums of such numbers cannot reach infinity.
MAX_MAGNITUDE = float(2**63 - 1024)

# Redis replies that say the server cannot serve now, whatever the data.
_REDIS_OUTAGES = (redis_errors.ReadOnlyError, redis_errors.OutOfMemoryError,
                  redis_errors.NoScriptError, redis_errors.ClusterError, redis_errors.AskError,
                  redis_errors.TryAgainError, redis_errors.NoPermissionError,
                  redis_errors.ExecAbortError)
_REDIS_OUTAGE_CODES = ("BUSY", "LOADING", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "OOM",
                       "READONLY", "MISCONF", "NOREPLICAS", "NOAUTH", "NOPERM", "UNKILLABLE",
                       "NOSCRIPT")
# SQLite errors about the statement's data; OperationalError (locked, I/O, full) is an outage.
_SQLITE_REFUSALS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError,
                    sqlite3.InterfaceError, sqlite3.NotSupportedError)


class Unrepresentable(ValueError):
    """A write carries a number no store holds (NaN, infinity, beyond `MAX_MAGNITUDE`)."""


def is_outage(exc: BaseException) -> bool:
    """True if `exc` is a dependency failing (retry), False if the data is at fault."""
    if isinstance(exc, StoreUnavailable):
        return not _refused(exc.__cause__)
    return isinstance(exc, KafkaError | TimeoutError | ConnectionError)


def _refused(cause: BaseException | None) -> bool:
    if isinstance(cause, (*_SQLITE_REFUSALS, redis_errors.DataError)):
        return True
    if isinstance(cause, redis_errors.ResponseError):
        if isinstance(cause, _REDIS_OUTAGES):
            return False
        return not str(cause).startswith(_REDIS_OUTAGE_CODES)
    return False


async def retry_outages(call: Callable[[], Awaitable[T]], *, what: str,
                        on_retry: Callable[[], object] | None = None) -> T:
    """`await call()` until it succeeds or fails for a reason that is not an outage (raised:
    the caller isolates the events at fault). Outages are retried with back-off, forever:
    nothing is committed meanwhile, and the consume loop keeps the group membership."""
    delay = FIRST_DELAY_S
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_outage(exc):
                raise
            if on_retry is not None:
                on_retry()
            log.warning("%s unavailable, retrying in %.1fs: %s", what, delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)


def check_representable(writes: Iterable[Write]) -> None:
    """Raise `Unrepresentable` before anything is sent if a write carries a number that a store
    would refuse halfway: a Redis script stops at the refused call without undoing the calls
    before it (and orjson sends NaN and infinity as null), so such a batch must never reach
    the store. One C-level sum per write: about 0.5 µs per event."""
    stack = [writes]
    while stack:
        for w in stack.pop():
            t = type(w)
            if t is IncrScores or t is IncrFields:
                numbers: Iterable[Any] = w.deltas.values()  # type: ignore[union-attr]
            elif t is Once or t is Take:
                stack.append(w.writes)  # type: ignore[union-attr]
                continue
            elif t is SetFields or t is SetMissing:
                numbers = [v for v in w.values.values()  # type: ignore[union-attr]
                           if type(v) is not str]
            elif t is SetScores:
                numbers = w.scores.values()  # type: ignore[union-attr]
            else:
                continue
            # NaN fails the comparison, an int too large for a float raises OverflowError and
            # a non-number a TypeError: each is the data's fault, like Unrepresentable.
            if not sum(map(abs, numbers)) < MAX_MAGNITUDE:
                key = w.key  # type: ignore[union-attr]
                raise Unrepresentable(f"{t.__name__} on {key!r}: a number no store holds")
