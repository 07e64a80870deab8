"""The real worker on the real broker: dead letters, features, and exact totals after kill -9.

Exactness: orders, GMV (cents) and on-hand per product in the online store equal a recount
of the same events from the lake, although the worker was SIGKILLed mid-stream (the events
after the last committed offset are delivered twice; the store applies each event id once).
Approximate counters are within at-least-once bounds: at least the recount, at most the
recount plus the events produced before the kill (anything redelivered was produced then).
On the embedded store and on a Redis Cluster of three masters (where an event's exact writes
span slots and are applied once per slot).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts.topics import Topic, key_for, topic_for
from features import kpis as k
from features.inventory import inventory_key
from features.lake import read_events, records
from features.online import OnlineStore, open_store
from launch.broker import EmbeddedBroker
from launch.simulator.traffic import Traffic
from tests.integration.agents.worker import WorkerProcess

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


async def produce(bootstrap: str, events: list[dict[str, Any] | bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        futs = []
        for ev in events:
            if isinstance(ev, bytes):
                futs.append(await producer.send(Topic.commerce, ev, key=b"bad"))
            else:
                futs.append(await producer.send(topic_for(ev), orjson.dumps(ev), key=key_for(ev)))
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


def recount(lake: Path) -> tuple[int, int, dict[str, int], int]:
    df = read_events(path=lake)
    orders, gmv, stock = 0, 0, defaultdict[str, int](int)
    for fields in records(df):  # the typed columns, as the contracts name them
        if fields["event_type"] == "order_placed":
            orders += 1
            gmv += round(fields["total"] * 100)
        elif fields["event_type"] == "inventory_adjusted":
            stock[fields["product_id"]] += fields["delta"]
    return orders, gmv, dict(stock), len(df)


@pytest.mark.parametrize("backend", ["sqlite", "cluster"])
async def test_kill9_mid_stream_keeps_orders_gmv_inventory_exact(
        broker: EmbeddedBroker, tmp_path: Path, backend: str,
        request: pytest.FixtureRequest) -> None:
    traffic = Traffic(seed=7, bad_rate=0.01)
    events: list[dict[str, Any] | bytes] = [traffic.next() for _ in range(8000)]
    marker = uuid.uuid4().hex.encode()
    events.append(b'{"event_type": "teleported", "marker": "' + marker + b'"}')
    half = len(events) // 2
    app_id = f"test-exact-{uuid.uuid4().hex[:8]}"
    redis_url = ""
    if backend == "cluster":  # the worker writes `agora:`, which no other test here uses
        redis_url = request.getfixturevalue("redis_cluster_url")
    worker = WorkerProcess(bootstrap=broker.bootstrap, data_dir=tmp_path, app_id=app_id,
                           redis_url=redis_url)
    store: OnlineStore = open_store(redis_url or f"sqlite:///{tmp_path / 'online.db'}")
    try:
        await produce(broker.bootstrap, events[:half])
        worker.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it is mid-stream
            if not redis_url and not (tmp_path / "online.db").exists():
                await asyncio.sleep(0.2)
                continue
            done = sum(float(v) for f, v in (await store.get_fields(k.TOTALS_KEY)).items()
                       if f.startswith("events|"))
            if done > 1000:
                break
            await asyncio.sleep(0.05)
        producing = asyncio.create_task(produce(broker.bootstrap, events[half:]))
        await asyncio.sleep(0.3)
        worker.kill9()
        await producing
        worker.start()

        deadline = time.monotonic() + 90
        while True:
            orders, gmv, stock, lake_events = recount(tmp_path / "lake")
            totals = await store.get_fields(k.TOTALS_KEY)
            live_orders = int(float(totals.get(k.ORDERS, 0)))
            if (lake_events >= 8000 * 0.98 and orders == live_orders) or (
                    time.monotonic() > deadline):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # let the last spool segment land
        orders, gmv, stock, lake_events = recount(tmp_path / "lake")
        totals = await store.get_fields(k.TOTALS_KEY)
        assert orders > 50
        assert int(float(totals[k.ORDERS])) == orders
        assert int(float(totals[k.GMV_CENTS])) == gmv
        rows = await store.get_many([inventory_key(p) for p in stock])
        live_stock = {p: int(float(r.get("on_hand", 0))) for p, r in zip(stock, rows, strict=True)}
        assert live_stock == stock
        live_events = sum(float(v) for f, v in totals.items() if f.startswith("events|"))
        assert lake_events <= live_events <= lake_events + len(events)
        assert int(float(totals[k.DEAD_LETTERS])) >= 1
    finally:
        worker.stop()
        await store.close()

    consumer = AIOKafkaConsumer(Topic.dead_letter, bootstrap_servers=broker.bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        found = None
        deadline = time.monotonic() + 20
        while found is None and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for rec in records:
                    letter = orjson.loads(rec.value)
                    if marker.decode() in letter["original"]:
                        found = letter
    finally:
        await consumer.stop()
    assert found is not None
    assert found["field"] == "event_type"
    assert found["source"]["topic"] == Topic.commerce
    assert found["source"]["offset"] >= 0
