"""`python -m bench.failover`: how long a worker's partitions stay unprocessed after it dies.

Two real workers in one consumer group share an embedded store. Once both process events,
one is SIGKILLed; from then on a probe event (a `product_viewed` of a fresh user) is produced
to every partition of `commerce.events` every 50 ms. A partition has failed over when a
probe produced to it after the kill is visible in the store (the user's session exists).
The failover time of a run is the slowest partition's. The killed worker is restarted, the
group settles, and the other one is killed next: `--runs` runs, alternating.

Writes bench/results/failover.json.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.report import write_result
from bench.workers import Worker
from contracts.topics import Topic
from features.online import OnlineStore, open_store
from features.users import session_key
from launch.broker import EmbeddedBroker, free_port

PARTITIONS = 4
PROBE_EVERY_S = 0.05
TIMEOUT_S = 60.0


def probe(producer: Any, partition: int) -> str:
    user = f"probe-{uuid.uuid4().hex[:12]}"
    ev = {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
          "occurred_at": datetime.now(UTC).isoformat(), "user_id": user, "session_id": user,
          "schema_version": 1, "product_id": "P00001", "category": "home", "price": 1.0}
    producer.produce(Topic.commerce, orjson.dumps(ev), user.encode(), partition=partition)
    return user


async def probe_round(producer: Any, store: OnlineStore, since: float) -> dict[int, float]:
    """Probe every partition until one probe per partition is visible; seconds after `since`
    at which each partition's first visible probe appeared."""
    pending: dict[str, int] = {}
    done: dict[int, float] = {}
    next_probe = 0.0
    while len(done) < PARTITIONS and time.monotonic() - since < TIMEOUT_S:
        now = time.monotonic()
        if now >= next_probe:
            for p in range(PARTITIONS):
                if p not in done:
                    pending[probe(producer, p)] = p
            producer.poll(0)
            next_probe = now + PROBE_EVERY_S
        users = list(pending)
        rows = await store.get_many([session_key(u) for u in users])
        seen = time.monotonic()
        for user, row in zip(users, rows, strict=True):
            p = pending[user]
            if row and p not in done:
                done[p] = seen - since
        pending = {u: p for u, p in pending.items() if p not in done}
        await asyncio.sleep(0.01)
    return done


async def settle(producer: Any, store: OnlineStore, workers: list[Worker]) -> None:
    """Until both workers have processed events and three probe rounds are fast in a row."""
    fast = 0
    deadline = time.monotonic() + 120
    while fast < 3:
        if time.monotonic() > deadline:
            raise TimeoutError("the group did not settle")
        before = [w.processed().get("commerce", 0) for w in workers]
        lat = await probe_round(producer, store, time.monotonic())
        grew = all(w.processed().get("commerce", 0) > b for w, b in zip(workers, before,
                                                                         strict=True))
        fast = fast + 1 if grew and len(lat) == PARTITIONS and max(lat.values()) < 1.0 else 0
        await asyncio.sleep(0.5)


async def measure(bootstrap: str, tmp: Path, runs: int) -> list[dict[str, Any]]:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1,
                         "enable.idempotence": False})
    app_id = f"bench-failover-{uuid.uuid4().hex[:6]}"
    workers = [Worker(bootstrap=bootstrap, data_dir=tmp, app_id=app_id).start()
               for _ in range(2)]
    store = open_store(f"sqlite:///{tmp}/online.db")
    out = []
    try:
        for run in range(runs):
            await settle(producer, store, workers)
            victim = run % 2
            killed_at = time.monotonic()
            workers[victim].kill9()
            lat = await probe_round(producer, store, killed_at)
            print(f"run {run}: per partition {sorted(lat.items())}", flush=True)
            out.append({"per_partition_s": {str(p): round(v, 3) for p, v in sorted(lat.items())},
                        "failover_s": round(max(lat.values()), 3)
                        if len(lat) == PARTITIONS else None})
            workers[victim] = Worker(bootstrap=bootstrap, data_dir=tmp, app_id=app_id).start()
    finally:
        for w in workers:
            w.stop()
        await store.close()
        producer.flush(10)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port(),
                                                              partitions=PARTITIONS) as broker:
        runs = asyncio.run(measure(broker.bootstrap, Path(tmp), args.runs))
    times = [r["failover_s"] for r in runs if r["failover_s"] is not None]
    write_result("failover", {
        "command": "python -m bench.failover", "store": "sqlite", "partitions": PARTITIONS,
        "broker_session_timeout_s": 6.0, "broker_heartbeat_interval_s": 1.0,
        "failover_median_s": round(statistics.median(times), 2) if times else None,
        "failover_max_s": round(max(times), 2) if times else None,
        "runs": runs})


if __name__ == "__main__":
    main()
