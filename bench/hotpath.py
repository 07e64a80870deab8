"""`python -m bench.hotpath`: the worker's per-event CPU cost, without Kafka, µs per event.

The stream benchmark (bench.stream) is end to end and moves with the shared machine's load;
these pieces are timed in one process on the same events, best of `ROUNDS` interleaved
passes, so a busy machine slows them alike:

- `payload`: encoding a batch's writes as the Lua payload (features/online/redis_script.py
  `chunks`), this tree against `BASELINE` (the module at that commit, read from git);
- `settle`: every context's `Pipeline` settling the simulator's traffic in fetches of
  `BATCH` records split by topic, as `agents.ingest` hands them over, on a private
  `redis-server` (emptied before each run), interleaved: `baseline` (the baseline's apply
  script, the collector as Python sets it), `script` (this tree's script, the same
  collector) and `current` (this tree's script, the collector as the worker sets it,
  `agents.app.tune_collector`): the worker's CPU per event, Redis's own CPU per event (its
  `INFO cpu`, so no other client's work is counted), and the wall. The derived topics and the
  dead-letter topic are an in-process stand-in (this measures the pipeline, not the
  producer); the lake spool is real.

`BENCH_HOTPATH_BATCH` sets the fetch size (default: the worker's, `AGORA_WORKER_BATCH_MAX`).
Writes bench/results/hotpath.json (hotpath-<batch>.json at another size).
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import tempfile
import time
import types
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from agents.activity.logic import activity_writes
from agents.app import contexts, tune_collector
from agents.lake.spool import LakeSpool
from agents.metrics import WorkerMetrics
from agents.pipeline import Pipeline
from agents.streams import PER_MESSAGE_TOPICS
from agents.trending.logic import interactions, trending_writes
from agora.settings import WorkerSettings
from bench.faults import RedisServer
from bench.report import write_result
from contracts.structs import DECODER
from contracts.topics import key_for, topic_for
from features.online import WriteBatch
from features.online import redis_script as current
from features.online.redis_store import RedisStore
from launch.simulator.traffic import Traffic

N_EVENTS = int(os.environ.get("BENCH_HOTPATH_EVENTS", "60000"))
WORKER_BATCH = WorkerSettings().worker_batch_max
BATCH = int(os.environ.get("BENCH_HOTPATH_BATCH", str(WORKER_BATCH)))  # records a fetch
ROUNDS = 5
BASELINE = os.environ.get("BENCH_HOTPATH_BASELINE", "1ec8b18")


@dataclass(frozen=True, slots=True)
class Record:
    """What the pipeline reads of an aiokafka `ConsumerRecord`."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    timestamp: int


class Sink:
    """A topic that takes every message at once (the producer is not what is measured)."""

    async def send(self, *, key: bytes, value: bytes) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def baseline_script() -> types.ModuleType | None:
    """features/online/redis_script.py as it was at `BASELINE`, or None without git."""
    try:
        source = subprocess.run(["git", "show", f"{BASELINE}:features/online/redis_script.py"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = types.ModuleType("redis_script_baseline")
    exec(compile(source, "redis_script_baseline", "exec"), module.__dict__)
    return module


def records(n: int) -> list[Record]:
    traffic, now, out = Traffic(seed=1), int(time.time() * 1000), []
    for i in range(n):
        ev = traffic.next()
        assert isinstance(ev, dict)
        out.append(Record(topic=topic_for(ev), partition=0, offset=i, key=key_for(ev),
                          value=orjson.dumps(ev), timestamp=now))
    return out


def batches(recs: list[Record]) -> list[dict[str, list[Record]]]:
    """The firehose in `BATCH`-record fetches, each split by topic (agents.ingest)."""
    out = []
    for lo in range(0, len(recs), BATCH):
        by_topic: dict[str, list[Record]] = defaultdict(list)
        for r in recs[lo:lo + BATCH]:
            if r.topic not in PER_MESSAGE_TOPICS:
                by_topic[r.topic].append(r)
        out.append(dict(by_topic))
    return out


def write_batches(recs: list[Record]) -> list[WriteBatch]:
    """Each fetch's step-2 writes per context, as the pipeline builds them."""
    out = []
    for fetch in batches(recs):
        for topic, rs in fetch.items():
            batch, events = WriteBatch(), [DECODER.parse(r.value) for r in rs]
            activity_writes(events, domain=topic.split(".")[0], batch=batch)
            for w in trending_writes(interactions(events), half_life_s=3600.0).writes:
                batch.add(w)
            out.append(batch)
    return out


def payload_us(module: Any, writes: list[WriteBatch], events: int) -> float:
    start = time.perf_counter()
    for batch in writes:
        for _ in module.chunks(batch.writes, 2000):
            pass
    return (time.perf_counter() - start) / events * 1e6


def redis_cpu_s(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def settle(fetches: list[dict[str, list[Record]]], url: str, script: str,
                 tmp: str) -> dict[str, float]:
    import redis

    settings, client = WorkerSettings(), redis.Redis.from_url(url)
    client.flushdb()
    store = RedisStore(url=url)
    store._apply = store._redis.register_script(script)  # the script under test
    spool = LakeSpool(lake_root=Path(tmp) / "lake", max_bytes=64 << 20, max_age_s=3600.0)
    sink, metrics = Sink(), WorkerMetrics()
    pipelines = {topic: Pipeline(context=ctx, store=store, spool=spool, metrics=metrics,
                                 dlq=sink, topics=defaultdict(Sink),
                                 half_life_s=settings.trending_half_life_s)
                 for topic, ctx in contexts(settings).items()}
    n = sum(len(rs) for fetch in fetches for rs in fetch.values())
    try:
        server = redis_cpu_s(client)
        wall, cpu = time.perf_counter(), time.thread_time()
        for fetch in fetches:
            await asyncio.gather(*(pipelines[t].process(rs) for t, rs in fetch.items()))
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        server = redis_cpu_s(client) - server
    finally:
        await store.close()
        client.close()
    return {"worker_cpu_us": cpu / n * 1e6, "redis_cpu_us": server / n * 1e6,
            "wall_us": wall / n * 1e6}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(min(r[k] for r in runs), 3) for k in runs[0]}


def main() -> None:
    recs = records(N_EVENTS)
    writes = write_batches(recs)
    firehose = sum(r.topic not in PER_MESSAGE_TOPICS for r in recs)
    modules = {"current": current}
    if (old := baseline_script()) is not None:
        modules["baseline"] = old
    payload = {name: float("inf") for name in modules}
    for _ in range(ROUNDS):
        for name, module in modules.items():
            payload[name] = min(payload[name], payload_us(module, writes, firehose))
    variants = {"baseline": (modules.get("baseline", current), False),
                "script": (current, False), "current": (current, True)}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    default = gc.get_threshold()
    with tempfile.TemporaryDirectory() as tmp, RedisServer(directory=Path(tmp) / "redis",
                                                           persistent=False) as server:
        for i in range(3):
            for name, (module, tuned) in variants.items():
                if tuned:
                    tune_collector()
                runs[name].append(asyncio.run(settle(batches(recs), server.url,
                                                     module.APPLY_LUA, f"{tmp}/{name}{i}")))
                gc.unfreeze()
                gc.set_threshold(*default)
    write_result("hotpath" if BATCH == WORKER_BATCH else f"hotpath-{BATCH}", {
        "events": N_EVENTS, "firehose_events": firehose, "batch": BATCH, "rounds": ROUNDS,
        "baseline_commit": BASELINE,
        "payload_us_per_event": {k: round(v, 3) for k, v in payload.items()},
        "settle_us_per_event_best_of_3": {name: best(r) for name, r in runs.items()},
        "settle_runs": {name: [{k: round(v, 3) for k, v in x.items()} for x in r]
                        for name, r in runs.items()},
    })


if __name__ == "__main__":
    main()
