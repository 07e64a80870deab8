"""`BatchIngest` on the real broker while its store is down for longer than the consumer's
`max_poll_interval_ms`: the loop keeps the group membership (paused polls), nothing is
dead-lettered, the batch is committed once applied and never redelivered, so even the
approximate counters are exact; and an unexpected error in the loop does not stop it."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from agents import ingest as ingest_module
from agents.ingest import BatchIngest
from features.online import StoreUnavailable
from features.online.sqlite_store import SqliteStore
from launch.broker import EmbeddedBroker
from tests.unit.agents.pipeline_kit import TOPIC, Faulty, MemoryTopic, applied, pipeline, viewed

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]

DOWN_S = 8.0


class DownFor:
    """The real store, unavailable for its first `down_s` seconds of use."""

    def __init__(self, inner: SqliteStore, down_s: float) -> None:
        self.inner, self.down_s, self.since = inner, down_s, 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.since = self.since or time.monotonic()
            if time.monotonic() - self.since < self.down_s:
                raise StoreUnavailable("connection refused")
            return await method(*args, **kwargs)
        return call


async def _produce(bootstrap: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for v in values:
            await producer.send(TOPIC, v)
        await producer.flush()
    finally:
        await producer.stop()


async def _until(predicate: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)


async def test_an_outage_longer_than_the_poll_interval_is_ridden_out(
        broker: EmbeddedBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_module, "MAX_POLL_INTERVAL_MS", 3000)
    monkeypatch.setattr(ingest_module, "KEEPALIVE_S", 1.0)
    store = SqliteStore(path=tmp_path / "online.db")
    dlq = MemoryTopic()
    p = pipeline(Faulty("none"), DownFor(store, DOWN_S), None, dlq)
    ingest = BatchIngest(bootstrap=broker.bootstrap, group_id=f"t-{uuid.uuid4().hex[:8]}",
                         pipelines={TOPIC: p}, max_records=1000, within_s=0.05,
                         session_timeout_s=6.0)
    failures = iter([RuntimeError("a bug in the loop")])
    process = ingest.process

    async def buggy(batches: Any) -> None:  # the first batch after the outage fails once
        if p.metrics.store_retries._value.get() and (err := next(failures, None)):
            raise err
        await process(batches)

    monkeypatch.setattr(ingest, "process", buggy)
    await _produce(broker.bootstrap, [viewed(f"P{i}") for i in range(50)])
    await ingest.start()
    try:
        await _until(lambda: _counted(store, 50), 90)
        await _produce(broker.bootstrap, [viewed(f"Q{i}") for i in range(10)])
        await _until(lambda: _counted(store, 60), 60)
        await asyncio.sleep(4)  # a redelivery would count again
        assert await applied(store, "commerce") == 60
        assert dlq.sent == []
        assert p.metrics.store_retries._value.get() > 0
    finally:
        await ingest.stop()
        await store.close()


async def _counted(store: SqliteStore, n: int) -> bool:
    return await applied(store, "commerce") >= n
