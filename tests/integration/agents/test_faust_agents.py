"""The worker's Faust agents on the real broker (agents.streams).

Impressions and clicks are read by Faust's agent only (each counted once: the batched
consumer no longer reads `recommendation.events`), a poison there is dead-lettered with its
source, and a low-stock alert the commerce pipeline sends is consumed by the alerts agent,
its redelivery counted as a repeat, an unreadable message dead-lettered.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.topics import Topic, key_for, topic_for
from features import kpis as k
from features.online.sqlite_store import SqliteStore
from launch.broker import EmbeddedBroker
from tests.integration.agents.worker import WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


def envelope(event_type: str, user: str | None, **fields: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
            "session_id": None, **fields}


async def produce(bootstrap: str, records: list[tuple[str, bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, value, key=key)
                               for topic, key, value in records])
    finally:
        await producer.stop()


def as_record(ev: dict[str, Any]) -> tuple[str, bytes | None, bytes]:
    return topic_for(ev), key_for(ev), orjson.dumps(ev)


def sample(worker: WorkerProcess, agent: str, outcome: str) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/metrics",
                                    timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return 0.0
    found = re.search(rf'^agora_worker_events_total\{{agent="{agent}",outcome="{outcome}"\}} '
                      r"([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def until(check: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def letters(bootstrap: str, topic: str) -> list[dict[str, Any]]:
    consumer = AIOKafkaConsumer(Topic.dead_letter, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=2000)
        found = [orjson.loads(r.value) for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return [d for d in found if d["source"]["topic"] == topic]


async def test_faust_agents_read_impressions_clicks_and_derived_messages(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    n = 40
    served = [envelope("recommendation_served", f"u{i}", request_id=f"r{i}", surface="home",
                       items=["product:a", "product:b", "product:c"], model="hybrid@3",
                       variant="champion") for i in range(n)]
    clicked = [envelope("recommendation_clicked", f"u{i}", request_id=f"r{i}",
                        item_id="product:a") for i in range(0, n, 2)]
    low = envelope("inventory_adjusted", None, product_id="p-low", delta=3, reason="restock",
                   on_hand=3)
    await produce(broker.bootstrap, [as_record(e) for e in served + clicked]
                  + [(Topic.recommendation, None, b"")]  # a poison on the Faust path
                  + [as_record(low)])
    worker = WorkerProcess(bootstrap=broker.bootstrap, data_dir=tmp_path,
                           app_id=f"test-faust-{uuid.uuid4().hex[:8]}").start()
    store = SqliteStore(path=tmp_path / "online.db")
    try:
        async def settled() -> bool:
            return (sample(worker, "recommendation", "ok") >= len(served) + len(clicked)
                    and sample(worker, "alerts", "ok") >= 1)
        await until(settled)
        minute_hashes = [await store.get_fields(k.stats_key(m)) for m in
                         {int(datetime.fromisoformat(e["occurred_at"]).timestamp() // 60)
                          for e in served + clicked}]
        got: dict[str, float] = {}
        for row in minute_hashes:
            for f, v in row.items():
                got[f] = got.get(f, 0.0) + float(v)
        # Read once, by the Faust agent: a second consumer would double these.
        assert got[k.rec_field("served", "hybrid@3", "champion")] == n
        assert got[k.rec_field("impressions", "hybrid@3", "champion")] == 3 * n
        assert got[k.rec_field("clicks", "hybrid@3", "champion")] == len(clicked)
        assert sample(worker, "recommendation", "ok") == len(served) + len(clicked)
        assert sample(worker, "recommendation", "dead_letter") == 1

        # The alert again (what a crash between send and settle does), and an unreadable one.
        async def alert() -> dict[str, Any]:
            consumer = AIOKafkaConsumer(Topic.inventory_alerts, bootstrap_servers=broker.bootstrap,
                                        auto_offset_reset="earliest", group_id=None)
            await consumer.start()
            try:
                batch = await consumer.getmany(timeout_ms=2000)
                return next(orjson.loads(r.value) for rs in batch.values() for r in rs)
            finally:
                await consumer.stop()
        body = await alert()
        assert body["alert_id"].startswith("p-low:") and body["status"] == "open"
        await produce(broker.bootstrap, [(Topic.inventory_alerts, b"p-low", orjson.dumps(body)),
                                         (Topic.inventory_alerts, b"x", b"not json")])

        async def repeated() -> bool:
            return (sample(worker, "alerts", "repeat") == 1
                    and sample(worker, "alerts", "dead_letter") == 1)
        await until(repeated)
        assert sample(worker, "alerts", "ok") == 1
    finally:
        worker.stop()
        await store.close()
    (poison,) = await letters(broker.bootstrap, Topic.recommendation)
    assert (poison["stage"], poison["source"]["offset"] >= 0) == ("parse", True)
    (unreadable,) = await letters(broker.bootstrap, Topic.inventory_alerts)
    assert unreadable["original"] == "not json"
