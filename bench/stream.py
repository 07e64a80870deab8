"""`make bench-stream`: the full agent set on one worker beside a plain aiokafka consumer,
on the same broker and topics in the same run, then freshness at a steady 2,000 events/s.
Two rates: the full set (every preloaded event counted) and the batched consumer's own
events (the firehose's hot path, without the Faust agents; docs/benchmarks.md, Stream).

Writes bench/results/stream.json. The worker runs as `agora worker` on Redis (db 14) when
Redis is up, else on the embedded store.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from agents.streams import PER_MESSAGE_TOPICS
from contracts.topics import SOURCE_TOPICS, key_for, topic_for
from features import kpis as k
from features.online import OnlineStore, open_store
from features.users import session_key
from launch.broker import EmbeddedBroker, free_port
from launch.simulator.traffic import Traffic

N_EVENTS = int(os.environ.get("BENCH_STREAM_EVENTS", "100000"))
RATE = 2000.0
FRESHNESS_S = 20.0
REDIS = "redis://127.0.0.1:6379/14"


def viewed(user: str) -> dict[str, Any]:
    """The stream's probe: a product view."""
    return {"event_type": "product_viewed", "product_id": "P00001", "category": "home",
            "price": 1.0}



def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def preload(bootstrap: str, n: int) -> int:
    """n simulated events on their topics; returns how many are on the batched consumer's
    topics (all but the Faust agents', agents.streams)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20,
                         "queue.buffering.max.messages": 1_000_000})
    traffic, batched = Traffic(seed=1), 0
    for i in range(n):
        ev = traffic.next()
        assert isinstance(ev, dict)
        topic = topic_for(ev)
        producer.produce(topic, orjson.dumps(ev), key_for(ev))
        batched += topic not in PER_MESSAGE_TOPICS
        if i % 10_000 == 0:
            producer.poll(0)
    producer.flush(60)
    return batched


async def raw_consumer(bootstrap: str, n: int,
                       topics: Sequence[str] = SOURCE_TOPICS) -> float:
    """The baseline: a plain aiokafka consumer reading and decoding n records of `topics`."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap,
                                group_id=f"raw-{uuid.uuid4().hex[:6]}",
                                auto_offset_reset="earliest", max_poll_records=10_000)
    await consumer.start()
    seen, start = 0, time.perf_counter()
    try:
        while seen < n:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for rec in records:
                    orjson.loads(rec.value)
                seen += len(records)
    finally:
        elapsed = time.perf_counter() - start
        await consumer.stop()
    return seen / elapsed


async def processed(store: OnlineStore) -> tuple[float, float]:
    """Events counted so far: all, and those of the batched consumer's contexts."""
    totals = await store.get_fields(k.TOTALS_KEY)
    faust = {k.events_field(str(t).split(".")[0]) for t in PER_MESSAGE_TOPICS}
    counts = {f: float(v) for f, v in totals.items() if f.startswith("events|")}
    return sum(counts.values()), sum(v for f, v in counts.items() if f not in faust)


async def agents_rate(store: OnlineStore, n: int, batched: int) -> tuple[float, float]:
    """Events/s of the full agent set, from the first event counted to the n-th; and of the
    batched consumer alone, from its first to its `batched`-th (the firehose's hot path,
    without the Faust agents' later start)."""
    while (await processed(store))[0] == 0:  # noqa: ASYNC110 (polling the store is the point)
        await asyncio.sleep(0.01)
    start, (first, first_b) = time.perf_counter(), await processed(store)
    done, done_b, end_b = first, first_b, None
    while done < n:
        await asyncio.sleep(0.02)
        done, done_b = await processed(store)
        if end_b is None and done_b >= batched:
            end_b = time.perf_counter()
    now = time.perf_counter()
    return (done - first) / (now - start), (done_b - first_b) / ((end_b or now) - start)


Message = tuple[str, bytes, bytes | None]  # topic, value, key


@dataclass
class Paced:
    """Messages of `source` sent at `rate` per second (until it runs out)."""

    rate: float
    source: Iterator[Message]
    sent: int = 0

    def due(self, elapsed_s: float) -> list[Message]:
        out: list[Message] = []
        for _ in range(int(elapsed_s * self.rate) - self.sent):
            if (message := next(self.source, None)) is None:
                break
            out.append(message)
            self.sent += 1
        return out


def simulated(seed: int) -> Iterator[Message]:
    traffic = Traffic(seed=seed)
    while True:
        ev = traffic.next()
        assert isinstance(ev, dict)
        yield topic_for(ev), orjson.dumps(ev), key_for(ev)


async def freshness(bootstrap: str, store: OnlineStore,
                    probe: Callable[[str], dict[str, Any]], *, seconds: float,
                    paced: Sequence[Paced]) -> list[float]:
    """Seconds from producing a probe to its user's session in the store, for one probe every
    50 ms, while `paced` keeps the traffic. A probe is `probe(user)` (an event's type and
    fields) with a new user (and session), a new id and the time it was sent."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    outstanding: dict[str, float] = {}
    latencies: list[float] = []
    start, next_probe = time.monotonic(), 0.0
    while (now := time.monotonic()) - start < seconds:
        for p in paced:
            for topic, value, key in p.due(now - start):
                producer.produce(topic, value, key)
        if now >= next_probe:
            user = f"probe-{uuid.uuid4().hex[:10]}"
            ev = {**probe(user), "event_id": str(uuid.uuid4()), "schema_version": 1,
                  "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
                  "session_id": user}
            producer.produce(topic_for(ev), orjson.dumps(ev), key_for(ev))
            outstanding[user] = time.monotonic()
            next_probe = now + 0.05
        producer.poll(0)
        await check_probes(store, outstanding, latencies)
        await asyncio.sleep(0.005)
    producer.flush(10)
    return latencies


async def check_probes(store: OnlineStore, outstanding: dict[str, float],
                       latencies: list[float]) -> None:
    """Each probe user whose session is visible now: its latency noted, no longer awaited."""
    users = list(outstanding)
    for user, row in zip(users, await store.get_many([session_key(u) for u in users]),
                         strict=True):
        if row:
            latencies.append(time.monotonic() - outstanding.pop(user))


async def measure(bootstrap: str, url: str | None, tmp: str,
                  batched: int) -> dict[str, float]:
    raw_rate = await raw_consumer(bootstrap, N_EVENTS)
    store = open_store(url or f"sqlite:///{tmp}/online.db")
    env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": bootstrap, "AGORA_DATA_DIR": tmp,
           "AGORA_REDIS_URL": url or "", "AGORA_LOG_LEVEL": "WARNING",
           "AGORA_WORKER_APP_ID": f"bench-{uuid.uuid4().hex[:6]}"}
    web_port = free_port()
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "launch.cli", "worker", "--web-port", str(web_port), env=env,
        stdout=subprocess.DEVNULL)
    try:
        rate, batched_rate = await agents_rate(store, N_EVENTS, batched)
        before = await batch_times(web_port)
        lat = sorted(await freshness(bootstrap, store, viewed, seconds=FRESHNESS_S,
                                     paced=[Paced(RATE, simulated(seed=2))]))
        after = await batch_times(web_port)
    finally:
        worker.terminate()
        await worker.wait()
        await store.close()
    batches = after[1] - before[1]
    return {"agents": rate, "batched": batched_rate, "raw": raw_rate, "p50": statistics.median(lat),
            "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))], "probes": len(lat),
            "batches": batches, "batch_s": (after[0] - before[0]) / max(batches, 1)}


async def batch_times(web_port: int) -> tuple[float, float]:
    """The worker's batch processing seconds and batches so far, summed over contexts
    (`agora_worker_processing_seconds`): how much of the freshness is the batch's own work."""
    import httpx

    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{web_port}/metrics", timeout=5)).text
    total = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        for part in total:
            if line.startswith(f"agora_worker_processing_seconds_{part}{{"):
                total[part] += float(line.rsplit(" ", 1)[1])
    return total["sum"], total["count"]


def bench_redis(url: str) -> str | None:
    """`url` emptied of the worker's keys (`agora:*`) when Redis is up, else None."""
    if not redis_up():
        return None
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("agora:*", count=5000):
        client.delete(key)
    return url


def main() -> None:
    url = bench_redis(REDIS)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port()) as broker:
        batched = preload(broker.bootstrap, N_EVENTS)
        m = asyncio.run(measure(broker.bootstrap, url, tmp, batched))
    result = {
        "events": N_EVENTS, "store": "redis" if url else "sqlite",
        "agents_events_per_s": round(m["agents"]), "raw_consumer_events_per_s": round(m["raw"]),
        "batched_events": batched, "batched_consumer_events_per_s": round(m["batched"]),
        "ratio_agents_to_raw": round(m["agents"] / m["raw"], 4),
        "freshness_rate_events_per_s": RATE, "freshness_probes": m["probes"],
        "freshness_p50_s": round(m["p50"], 4), "freshness_p99_s": round(m["p99"], 4),
        "freshness_context_batches": round(m["batches"]),
        "freshness_batch_mean_s": round(m["batch_s"], 4),
        "worker_settings": {k: v for k, v in os.environ.items() if k.startswith("AGORA_WORKER")},
    }
    out = Path("bench/results/stream.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
