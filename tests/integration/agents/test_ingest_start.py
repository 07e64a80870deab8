"""`BatchIngest` starts without waiting for its group: its `start` returns subscribed but not
yet assigned, so the services the worker starts after it (Faust's consumer, agents.streams)
join their group at the same time instead of after it; the events are consumed once the
assignment arrives."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from agents.ingest import BatchIngest
from features.online.sqlite_store import SqliteStore
from launch.broker import EmbeddedBroker
from tests.unit.agents.pipeline_kit import TOPIC, Faulty, MemoryTopic, applied, pipeline, viewed

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


async def test_start_returns_before_the_group_join_and_then_consumes(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        for i in range(20):
            await producer.send(TOPIC, viewed(f"P{i}"))
        await producer.flush()
    finally:
        await producer.stop()
    store = SqliteStore(path=tmp_path / "online.db")
    dlq = MemoryTopic()
    ingest = BatchIngest(bootstrap=broker.bootstrap, group_id=f"t-{uuid.uuid4().hex[:8]}",
                         pipelines={TOPIC: pipeline(Faulty("none"), store, None, dlq)},
                         max_records=1000, within_s=0.05, session_timeout_s=6.0)
    await ingest.start()
    try:
        consumer = ingest.consumer
        assert consumer is not None
        assert consumer.subscription() == {TOPIC}
        assert consumer.assignment() == set()  # the join is still in flight
        deadline = time.monotonic() + 60
        while await applied(store, "commerce") < 20:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)
        assert {tp.topic for tp in consumer.assignment()} == {TOPIC}
        assert dlq.sent == []
    finally:
        await ingest.stop()
        await store.close()
