"""The real batch pipeline on a real store, fed records as the consumer would give them.

The broker side is a sink that keeps what was sent (or refuses it, as a broker that went
away): what these tests check is what the worker writes and sends, not Kafka.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from agents.app import contexts
from agents.metrics import WorkerMetrics
from agents.pipeline import Pipeline
from agora.settings import WorkerSettings
from contracts.topics import Topic
from features.online import OnlineStore, WriteBatch

_offsets = itertools.count()


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp: int


class BrokerDown(ConnectionError):
    pass


class Killed(BaseException):
    """The worker process dying at this point (nothing after it runs)."""


@dataclass
class Sink:
    """A derived topic: `fail` sends are refused before the next ones are delivered; the
    worker dies at the next `crash` sends."""

    fail: int = 0
    crash: int = 0
    sent: list[tuple[bytes, dict[str, Any]]] = field(default_factory=list)

    async def send(self, *, key: bytes, value: bytes) -> asyncio.Future[None]:
        if self.crash:
            self.crash -= 1
            raise Killed
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            self.fail -= 1
            fut.set_exception(BrokerDown("broker unavailable"))
        else:
            self.sent.append((key, orjson.loads(value)))
            fut.set_result(None)
        return fut


class Recording:
    """The store, keeping every batch the pipeline applied (to check TTLs and caps)."""

    def __init__(self, store: OnlineStore) -> None:
        self.store = store
        self.batches: list[WriteBatch] = []

    async def apply(self, batch: WriteBatch) -> None:
        self.batches.append(batch)
        await self.store.apply(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @property
    def writes(self) -> list[Any]:
        return [w for b in self.batches for w in b.writes]


@dataclass
class Worker:
    """One pipeline per context, as `agents.app` builds them."""

    store: Any
    alerts: Sink = field(default_factory=Sink)
    flags: Sink = field(default_factory=Sink)
    dead: Sink = field(default_factory=Sink)
    pipelines: dict[str, Pipeline] = field(default_factory=dict)

    def __post_init__(self) -> None:
        settings = WorkerSettings(low_stock_min_units=5, moderation_reporters=3)
        topics: dict[str, Any] = {Topic.inventory_alerts: self.alerts,
                                  Topic.moderation_flags: self.flags}
        self.pipelines = {
            topic: Pipeline(context=ctx, store=self.store, spool=None, metrics=WorkerMetrics(),
                            dlq=self.dead, topics=topics, half_life_s=900.0)
            for topic, ctx in contexts(settings).items()}

    async def process(self, topic: str, records: Sequence[Record]) -> None:
        await self.pipelines[topic].process(list(records))


def event(event_type: str, *, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": (at or datetime.now(UTC)).isoformat(), **fields}


def records(topic: str, events: Sequence[dict[str, Any]]) -> list[Record]:
    now_ms = int(time.time() * 1000)
    return [Record(topic=topic, partition=0, offset=next(_offsets), key=None,
                   value=orjson.dumps(ev), timestamp=now_ms) for ev in events]


async def stored_keys(store: OnlineStore) -> set[str]:
    """Every key the store holds, without the Redis prefix (claims and once tokens too)."""
    from features.online.redis_cluster_store import RedisClusterStore
    from features.online.redis_store import RedisStore
    from features.online.sqlite_store import SqliteStore

    if isinstance(store, RedisStore | RedisClusterStore):
        prefix: str = store._prefix
        return {k.removeprefix(prefix)
                async for k in store._redis.scan_iter(match=prefix + "*", count=1000)}
    assert isinstance(store, SqliteStore)
    db = store._db
    found = {row[0] for table in ("zset", "hash", "list", "distinct_member")
             for row in db.execute(f"SELECT DISTINCT key FROM {table}")}
    return found | {row[0] for row in db.execute("SELECT token FROM token")}
