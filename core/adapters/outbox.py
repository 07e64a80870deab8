"""The outbox: domain events become catalog contracts and rows written with the change.

Rows are spread over `SHARDS` shards by aggregate, so that all events of one aggregate sit in
one shard. A relay leases whole shards (claimed with `FOR UPDATE SKIP LOCKED`) and publishes
their rows in id order, which keeps each aggregate's events in order with several relays.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, delete, exists, func, insert, select, update

from contracts import dump_event, key_for, parse_event, topic_for
from contracts.events import Event
from core.adapters.tables import outbox, outbox_shards
from core.domain.events import DomainEvent

SHARDS = 16  # the migration seeds as many rows in outbox_shards


def _fields(obj: Any) -> dict[str, Any]:
    # not dataclasses.asdict: that deep-copies every value first, a third of the time spent
    # turning an event into its contract on the order path
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | None):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, UUID | datetime):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_contract(event: DomainEvent) -> Event:
    """The catalog's event for a domain event; raises `contracts.EventError` if it breaks it."""
    return parse_event({"event_type": event.event_type, **_fields(event)})


def shard_of(aggregate_key: str) -> int:
    return zlib.crc32(aggregate_key.encode()) % SHARDS


def outbox_rows(events: Sequence[DomainEvent]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        contract = to_contract(event)
        rows.append({
            "event_id": str(event.event_id), "event_type": event.event_type,
            "aggregate_key": event.aggregate_key, "shard": shard_of(event.aggregate_key),
            "topic": topic_for(contract).value, "message_key": key_for(contract).decode(),
            "payload": dump_event(contract).decode(),
        })
    return rows


def write(conn: Connection, events: Sequence[DomainEvent]) -> None:
    conn.execute(insert(outbox), outbox_rows(events))


@dataclass(frozen=True, kw_only=True)
class OutboxMessage:
    id: int
    topic: str
    key: bytes
    value: bytes


@dataclass(frozen=True, kw_only=True)
class Claim:
    shards: tuple[int, ...]
    messages: tuple[OutboxMessage, ...]


@dataclass(kw_only=True)
class OutboxStore:
    """The relay's side: lease shards, read their pending rows, mark them sent."""

    engine: Engine
    owner: str
    lease_s: float = 30.0

    def claim(self, *, shards: int, batch: int, now: float) -> Claim:
        pending = exists().where(outbox.c.shard == outbox_shards.c.shard,
                                 outbox.c.sent_at.is_(None))
        # A relay takes its own leases back at once: a round whose `finish` failed (the
        # database went away after the acks) must not wait out its lease.
        free = (outbox_shards.c.leased_until.is_(None) | (outbox_shards.c.leased_until < now)
                | (outbox_shards.c.leased_by == self.owner))
        with self.engine.begin() as conn:
            claimed = tuple(conn.scalars(
                select(outbox_shards.c.shard).where(free, pending).order_by(func.random())
                .limit(shards).with_for_update(skip_locked=True)))
            if not claimed:
                return Claim(shards=(), messages=())
            conn.execute(update(outbox_shards).where(outbox_shards.c.shard.in_(claimed))
                         .values(leased_by=self.owner, leased_until=now + self.lease_s))
            rows = conn.execute(
                select(outbox.c.id, outbox.c.topic, outbox.c.message_key, outbox.c.payload)
                .where(outbox.c.shard.in_(claimed), outbox.c.sent_at.is_(None))
                .order_by(outbox.c.id).limit(batch)).all()
        messages = tuple(
            # the payload is the contract's canonical JSON, checked when it was written
            OutboxMessage(id=r.id, topic=r.topic, key=r.message_key.encode(),
                          value=r.payload.encode())
            for r in rows)
        return Claim(shards=claimed, messages=messages)

    def finish(self, claim: Claim, *, sent: bool) -> None:
        """Mark the claim's rows sent (when `sent`) and give its shards back."""
        with self.engine.begin() as conn:
            if sent and claim.messages:
                conn.execute(update(outbox)
                             .where(outbox.c.id.in_([m.id for m in claim.messages]))
                             .values(sent_at=datetime.now(UTC)))
            conn.execute(update(outbox_shards)
                         .where(outbox_shards.c.shard.in_(claim.shards),
                                outbox_shards.c.leased_by == self.owner)
                         .values(leased_by=None, leased_until=None))

    def purge_sent(self, *, before: datetime, limit: int = 5_000) -> int:
        """Delete up to `limit` rows sent before `before`; how many went. Pending rows are
        never touched, so a purge can race the relay's own rounds."""
        old = (select(outbox.c.id).where(outbox.c.sent_at.is_not(None),
                                         outbox.c.sent_at < before)
               .order_by(outbox.c.sent_at).limit(limit))
        with self.engine.begin() as conn:
            return int(conn.execute(delete(outbox).where(outbox.c.id.in_(old))).rowcount or 0)

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(outbox)
                                   .where(outbox.c.sent_at.is_(None))) or 0)
