"""What the pipeline tests share: records as aiokafka hands them over, a recording topic, and
readers of what a batch left in the store, the spool and the dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from agents.commerce.context import CommerceContext
from agents.context import Context, Decisions
from agents.lake.spool import LakeSpool
from agents.metrics import WorkerMetrics
from agents.pipeline import Pipeline
from agents.streams import Record
from contracts.topics import Topic
from features import kpis as k
from features.online import IncrFields, OnlineStore, PushRecent, WriteBatch


class MemoryTopic:
    """A topic that keeps what it is sent (the broker path is tested with the real broker)."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes | None, bytes]] = []

    async def send(self, *, key: bytes | None, value: bytes) -> asyncio.Future[None]:
        self.sent.append((key, value))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut

    def letters(self) -> list[dict[str, Any]]:
        return [orjson.loads(v) for _, v in self.sent]


def records(values: Sequence[bytes | None], topic: str, start: int = 0) -> list[Record]:
    return [Record(topic=topic, partition=0, offset=start + i, key=b"k", value=v)
            for i, v in enumerate(values)]


def pipeline(context: Context, store: OnlineStore, spool: LakeSpool | None,
             dlq: Any = None, topics: dict[str, Any] | None = None) -> Pipeline:
    derived: dict[str, Any] = topics if topics is not None else {
        t: MemoryTopic() for t in (Topic.inventory_alerts, Topic.moderation_flags)}
    return Pipeline(context=context, store=store, spool=spool, metrics=WorkerMetrics(),
                    dlq=dlq if dlq is not None else MemoryTopic(), topics=derived,
                    half_life_s=3600.0)


def spooled(spool: LakeSpool) -> list[bytes]:
    """Every event line in the spool's segments."""
    out: list[bytes] = []
    for path in sorted(Path(spool.dir).glob("*.ndjson")):
        out += [line for line in path.read_bytes().split(b"\n") if line]
    return out


def as_spooled(raw: bytes) -> bytes:
    return raw.replace(b"\n", b" ").replace(b"\r", b" ")


async def applied(store: OnlineStore, domain: str) -> float:
    """How many events of `domain` the store counted."""
    totals = await store.get_fields(k.TOTALS_KEY)
    return float(totals.get(k.events_field(domain), 0))


def viewed(product: str = "P1", user: str | None = "u1", **extra: Any) -> bytes:
    return orjson.dumps({"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
                         "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
                         "session_id": user, "schema_version": 1, "product_id": product,
                         "category": "home", "price": 1.0, **extra})


TOPIC = "commerce.events"
BAD = "BOOM"


def _bad(events: Sequence[Any]) -> bool:
    return any(getattr(e, "product_id", None) == BAD for e in events)


class Faulty(CommerceContext):
    """The commerce context, failing in one step for any group holding the bad product."""

    def __init__(self, step: str) -> None:
        super().__init__(once_ttl_s=3600.0, cover_days=7.0, min_units=5, thresholds={})
        self.step = step

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        if self.step == "prepare" and _bad(events):
            raise KeyError("prepare bug")

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        super().writes(events, batch)
        if _bad(events):
            if self.step == "writes":
                raise ZeroDivisionError("writes bug")
            if self.step == "huge":  # a number no store holds: refused before any call
                batch.add(IncrFields(key="x", deltas={"n": 10**30}))
            if self.step == "refused":  # SQLite refuses it (NOT NULL), after other writes
                batch.add(PushRecent(key="y", values=[None], max_len=3))  # type: ignore[list-item]

    async def after(self, events: Sequence[Any], store: OnlineStore, now: float) -> Decisions:
        if self.step == "after" and _bad(events):
            raise ValueError("after bug")
        return await super().after(events, store, now)
