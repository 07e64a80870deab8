"""`make bench-derived`: the worker's Faust agents (agents.streams) beside a plain aiokafka
consumer, on the same broker and topics in the same run.

Preloads `BENCH_DERIVED_EVENTS` records (default 10,000) on each Faust topic:
recommendation impressions and clicks as the simulator makes them (`recommendation.events`),
low-stock alerts (`alerts.inventory`) and moderation flags (`moderation.flags`), each with
its own id. The raw consumer reads and decodes the three topics; then `agora worker` starts
and its agents drain them (the rate from its `/metrics`: `agora_worker_events_total`, first
count to last). Then a steady phase: impressions and clicks at `RATE` events/s (what the
simulator's mix sends beside a firehose of 16,000 events/s) and alerts at `ALERT_RATE`, with
probes: a click's session visible in the online store, an alert's decision-to-consumption
delay (`agora_worker_derived_delay_seconds`, bucketed).

Writes bench/results/derived.json. The worker runs on Redis (db 13) when Redis is up, else
on the embedded store.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from typing import Any

import orjson

from bench.report import write_result
from bench.stream import Paced, bench_redis, freshness, raw_consumer
from contracts.topics import Topic, key_for, topic_for
from features.online import OnlineStore, open_store
from launch.broker import EmbeddedBroker, free_port
from launch.simulator.traffic import Traffic

N = int(os.environ.get("BENCH_DERIVED_EVENTS", "10000"))
TOPICS = (Topic.recommendation, Topic.inventory_alerts, Topic.moderation_flags)
AGENTS = ("recommendation", "alerts", "flags")
STEADY_S = 15.0
ALERT_RATE = 20.0
REDIS = "redis://127.0.0.1:6379/13"
_SAMPLE = re.compile(r'^agora_worker_events_total\{agent="(\w+)",outcome="ok"\} ([0-9.e+]+)$',
                     re.MULTILINE)
_DELAY = re.compile(r'^agora_worker_derived_delay_seconds_bucket\{le="([^"]+)",'
                    r'topic="alerts.inventory"\} ([0-9.e+]+)$', re.MULTILINE)


def recommendation_events(n: int, seed: int) -> tuple[list[dict[str, Any]], float]:
    """`n` impressions and clicks from simulated traffic, and their share of that traffic."""
    traffic, seen = Traffic(seed=seed), 0
    out: list[dict[str, Any]] = []
    while len(out) < n:
        ev = traffic.next()
        assert isinstance(ev, dict)
        seen += 1
        if topic_for(ev) == Topic.recommendation:
            out.append(ev)
    return out, n / seen


def clicked(user: str) -> dict[str, Any]:
    """The steady phase's probe: a click on a recommendation of its own request."""
    return {"event_type": "recommendation_clicked", "request_id": f"r-{user}",
            "item_id": "product:P00001"}


def alert(i: int, tag: str) -> bytes:
    return orjson.dumps({"alert": "low_stock", "status": "open", "product_id": f"p{tag}{i}",
                         "on_hand": 1, "threshold": 5, "alert_id": f"p{tag}{i}:0",
                         "at": time.time()})


def flag(i: int, tag: str) -> bytes:
    return orjson.dumps({"flag_id": f"reports:t{tag}{i}", "target_id": f"t{tag}{i}",
                         "reason": "reported", "detail": "reported by 3 distinct users",
                         "at": time.time()})


def preload(bootstrap: str, recs: list[dict[str, Any]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20,
                         "queue.buffering.max.messages": 1_000_000})
    for i, ev in enumerate(recs):
        producer.produce(topic_for(ev), orjson.dumps(ev), key_for(ev))
        producer.produce(Topic.inventory_alerts, alert(i, "pre"), f"ppre{i}".encode())
        producer.produce(Topic.moderation_flags, flag(i, "pre"), f"tpre{i}".encode())
        if i % 5000 == 0:
            producer.poll(0)
    producer.flush(60)


def scrape(port: int) -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            return str(resp.read().decode())
    except OSError:
        return ""


def counts(text: str) -> dict[str, float]:
    return {a: float(v) for a, v in _SAMPLE.findall(text) if a in AGENTS}


async def drain(port: int, n: int) -> dict[str, float]:
    """Each agent's events/s from its first count to n, and all together."""
    first: dict[str, tuple[float, float]] = {}
    done: dict[str, float] = {}
    while len(done) < len(AGENTS):
        now, seen = time.perf_counter(), counts(scrape(port))
        for agent, value in seen.items():
            if value > 0 and agent not in first:
                first[agent] = (now, value)
            if value >= n and agent not in done:
                done[agent] = now
        await asyncio.sleep(0.02)
    start = min(t for t, _ in first.values())
    out = {a: (n - first[a][1]) / max(1e-9, done[a] - first[a][0]) for a in AGENTS}
    out["all"] = (len(AGENTS) * n - sum(v for _, v in first.values())) / (
        max(done.values()) - start)
    return out


def steady_delays(before: str, after: str) -> dict[str, float]:
    """The steady alerts' delay quantiles: the bucket counts after the phase minus before,
    each quantile given as the upper bound of its bucket (coarse)."""
    def buckets(text: str) -> dict[float, float]:
        return {float(le): float(c) for le, c in _DELAY.findall(text)}
    b, a = buckets(before), buckets(after)
    diff = sorted((le, a[le] - b.get(le, 0.0)) for le in a)
    total = diff[-1][1] if diff else 0.0
    return {f"p{int(q * 100)}": next((le for le, c in diff if c >= q * total), float("inf"))
            for q in (0.5, 0.99)}


async def steady(bootstrap: str, store: OnlineStore, rate: float) -> dict[str, Any]:
    """Impressions and clicks at `rate`, alerts at ALERT_RATE; click probes every 50 ms."""
    recs, _ = recommendation_events(int(rate * STEADY_S) + 1, seed=3)
    clicks = Paced(rate, ((topic_for(ev), orjson.dumps(ev), key_for(ev)) for ev in recs))
    alerts = Paced(ALERT_RATE, ((Topic.inventory_alerts, alert(i, "steady"), b"p")
                                for i in itertools.count()))
    lat = sorted(await freshness(bootstrap, store, clicked, seconds=STEADY_S,
                                 paced=[clicks, alerts]))
    return {"sent": clicks.sent, "alerts": alerts.sent, "probes": len(lat),
            "p50": statistics.median(lat), "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))]}


async def measure(bootstrap: str, url: str | None, tmp: str, rate: float) -> dict[str, Any]:
    raw = await raw_consumer(bootstrap, len(TOPICS) * N, TOPICS)
    store = open_store(url or f"sqlite:///{tmp}/online.db")
    port = free_port()
    env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": bootstrap, "AGORA_DATA_DIR": tmp,
           "AGORA_REDIS_URL": url or "", "AGORA_LOG_LEVEL": "WARNING",
           "AGORA_WORKER_APP_ID": f"bench-{uuid.uuid4().hex[:6]}"}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "launch.cli", "worker", "--web-port", str(port), env=env,
        stdout=subprocess.DEVNULL)
    try:
        rates = await drain(port, N)
        before = scrape(port)  # the preloaded alerts' delays are their wait, not the agent's
        s = await steady(bootstrap, store, rate)
        await asyncio.sleep(1.0)
        s["alert_delay"] = steady_delays(before, scrape(port))
    finally:
        worker.terminate()
        await worker.wait()
        await store.close()
    return {"rates": rates, "raw": raw, "steady": s}


def main() -> None:
    url = bench_redis(REDIS)
    recs, share = recommendation_events(N, seed=1)
    firehose = 16_000.0
    rate = round(share * firehose)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=free_port()) as broker:
        preload(broker.bootstrap, recs)
        m = asyncio.run(measure(broker.bootstrap, url, tmp, rate))
    s = m["steady"]
    result = {
        "events_per_topic": N, "store": "redis" if url else "sqlite",
        "agents_events_per_s": round(m["rates"]["all"]),
        "agent_events_per_s": {a: round(m["rates"][a]) for a in AGENTS},
        "raw_consumer_events_per_s": round(m["raw"]),
        "ratio_agents_to_raw": round(m["rates"]["all"] / m["raw"], 4),
        "recommendation_share_of_traffic": round(share, 4),
        "steady_recommendation_events_per_s": rate,
        "steady_alerts_per_s": ALERT_RATE,
        "steady_click_probes": s["probes"],
        "steady_click_visible_p50_s": round(s["p50"], 4),
        "steady_click_visible_p99_s": round(s["p99"], 4),
        "steady_alert_delay_p50_s_at_most": s["alert_delay"]["p50"],
        "steady_alert_delay_p99_s_at_most": s["alert_delay"]["p99"],
    }
    write_result("derived", result)


if __name__ == "__main__":
    main()
