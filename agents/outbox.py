"""Derived messages (low-stock alerts, moderation flags) that a crash cannot lose.

A context that decides to send a message writes it as a pending record in its entity's
outbox hash (`outbox:<stream>:{<entity>}`), inside the same `Once` as the claim and the
effects it guards: one atomic write on keys sharing the entity's hash tag. Then the
pipeline reads the outboxes of the batch's entities, sends what it finds, waits for the
broker's acknowledgement, and settles each record with a `Take`: the record goes, and with
it the context's follow-up writes (indexes, counters) are applied, once.

A crash before the `Take` leaves the record; the batch is redelivered (its offsets were not
committed), its entities are the same, so the next `after` finds the record and sends it
again. Delivery is therefore at-least-once, and every message carries a stable id
(`alert_id`, `flag_id`) to deduplicate by.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from features.online import OnlineStore, SetFields, StoreUnavailable

log = logging.getLogger(__name__)

OUTBOX_TTL_S = 30 * 86_400.0  # as long as the longest claim: a record outlives no claim
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    """A message written with its claim and not yet settled."""

    outbox: str  # the outbox hash
    id: str  # its field: orders the entity's messages (sorted as text)
    topic: str
    key: bytes
    value: bytes


def pending_record(*, outbox: str, id: str, topic: str, key: bytes, value: bytes) -> SetFields:
    """The write that puts a message in an outbox (inside the claim's `Once`)."""
    record = orjson.dumps({"topic": topic, "key": key.decode(), "value": value.decode()})
    return SetFields(key=outbox, values={id: record.decode()}, ttl_s=OUTBOX_TTL_S)


def decode(outbox: str, rows: dict[str, str]) -> list[Pending]:
    out = []
    for id_, raw in sorted(rows.items()):
        try:
            record = orjson.loads(raw)
            out.append(Pending(outbox=outbox, id=id_, topic=record["topic"],
                               key=record["key"].encode(), value=record["value"].encode()))
        except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
            log.error("outbox %s: unreadable record %s dropped", outbox, id_)
    return out


async def read_pending(store: OnlineStore, outboxes: Sequence[str]) -> list[Pending]:
    """Every pending message of these outboxes, in outbox then id order (one round trip)."""
    keys = sorted(set(outboxes))
    rows = await store.get_many(keys)
    return [p for key, row in zip(keys, rows, strict=True) for p in decode(key, row)]


async def until_available(call: Callable[[], Awaitable[T]],
                          on_retry: Callable[[], Any] | None = None) -> T:
    """`call()` again (with back-off) while the store is unavailable: nothing is committed
    before the checks ran, so skipping them would lose alerts."""
    delay = 0.1
    while True:
        try:
            return await call()
        except StoreUnavailable as exc:
            if on_retry is not None:
                on_retry()
            log.warning("online store unavailable, retrying in %.1fs: %s", delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
