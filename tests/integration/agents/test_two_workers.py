"""Two real workers in one consumer group share the partitions and keep the totals exact;
when one is SIGKILLed, the survivor takes over its partitions (no timing asserted here:
bench/failover.py measures it)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bench.workers import Worker
from features import kpis as k
from features.online.sqlite_store import SqliteStore
from launch.broker import EmbeddedBroker
from launch.replay.runner import replay

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


def orders(n: int, start: int) -> list[dict[str, Any]]:
    return [{"event_id": str(uuid.uuid4()), "event_type": "order_placed",
             "occurred_at": datetime.now(UTC), "user_id": f"u{start + i}", "session_id": None,
             "order_id": f"o{start + i}", "currency": "GBP", "total": 1.25 + (start + i) % 7,
             "lines": [{"product_id": f"p{i % 5}", "quantity": 1,
                        "unit_price": 1.25 + (start + i) % 7}]}
            for i in range(n)]


async def produce(bootstrap: str, events: list[dict[str, Any]]) -> None:
    await asyncio.to_thread(replay, events, bootstrap=bootstrap)


async def exact(store: SqliteStore, sent: list[dict[str, Any]], timeout_s: float) -> bool:
    want = (len(sent), sum(round(ev["total"] * 100) for ev in sent))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        totals = await k.read_totals(store)
        if (int(totals.get(k.ORDERS, 0)), int(totals.get(k.GMV_CENTS, 0))) == want:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_two_workers_share_partitions_and_survive_a_kill(
        broker: EmbeddedBroker, tmp_path: Path) -> None:
    app_id = f"test-two-{uuid.uuid4().hex[:8]}"
    workers = [Worker(bootstrap=broker.bootstrap, data_dir=tmp_path, app_id=app_id).start()
               for _ in range(2)]
    store = SqliteStore(path=tmp_path / "online.db")
    sent: list[dict[str, Any]] = []
    try:
        # Rounds of orders over all partitions until both workers have processed some.
        deadline = time.monotonic() + 60
        while not all(w.processed().get("commerce", 0) > 0 for w in workers):
            assert time.monotonic() < deadline, [w.processed() for w in workers]
            batch = orders(100, len(sent))
            sent += batch
            await produce(broker.bootstrap, batch)
            await asyncio.sleep(1.0)
        assert await exact(store, sent, 30)
        shares = [w.processed()["commerce"] for w in workers]
        assert sum(shares) >= len(sent)  # at-least-once: a rebalance may redeliver

        workers[0].kill9()
        batch = orders(400, len(sent))
        sent += batch
        await produce(broker.bootstrap, batch)
        # The survivor takes over the dead worker's partitions: every order is counted once.
        assert await exact(store, sent, 45)
    finally:
        for w in workers:
            w.stop()
        await store.close()
