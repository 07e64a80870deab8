"""Dependencies that fail on demand, for the fault tests and `python -m bench.chaos`.

- `RedisServer`: a private `redis-server` on a free port (never the shared one), killed with
  SIGKILL and started again on the same port. With `persistent` it keeps an append-only file
  fsynced on every write in its own directory, so the data survives a kill, as a production
  Redis configured for durability does; without, a restart comes back empty.
- `freeze` / `thaw`: SIGSTOP and SIGCONT of the embedded broker. The port stays open but
  nothing answers, as with a hung broker or a network partition; the broker keeps its data.
- `crash` (or `stop_broker`), then `EmbeddedBroker.start` again: a fresh broker on the same
  port. tansu runs with memory storage only (launch/broker.py), so the new one has empty
  topics: offsets start at 0 again and the consumer group's commits are gone.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench import ledger
from bench.ledger import Sent
from bench.poison import CONTROL, Record
from bench.workers import Worker
from contracts.topics import Topic
from features.online import OnlineStore
from launch.broker import EmbeddedBroker, free_port

DOWN_S = 3.0
BURST = 300  # poisons of 50 KB sent just before a broker fault
Say = Callable[[str], object]  # where a scenario reports its progress


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(kw_only=True)
class RedisServer:
    """`redis-server` on 127.0.0.1:`port`, its files (if any) in `directory`."""

    directory: Path
    persistent: bool = True
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> RedisServer:
        """Start (again, on the same port); return once it answers PING, with its append-only
        file loaded."""
        self.directory.mkdir(parents=True, exist_ok=True)
        durability = (["--appendonly", "yes", "--appendfsync", "always"] if self.persistent
                      else ["--appendonly", "no"])
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.directory), "--save", "", *durability],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while not _answers_ping(self.port):  # PING answers LOADING until the file is read
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError(f"redis-server on {self.port} did not start; see {log.name}")
            time.sleep(0.05)
        return self

    def kill9(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        if proc is not None:
            proc.wait()

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def _pid(broker: EmbeddedBroker) -> int:
    assert broker.process is not None and broker.process.poll() is None, "broker not running"
    return broker.process.pid


def freeze(broker: EmbeddedBroker) -> None:
    """The broker stops answering (its data and connections stay)."""
    os.kill(_pid(broker), signal.SIGSTOP)


def thaw(broker: EmbeddedBroker) -> None:
    os.kill(_pid(broker), signal.SIGCONT)


def crash(broker: EmbeddedBroker) -> None:
    """Freeze, then SIGKILL: the broker dies with the requests it holds unanswered (a stop
    with SIGTERM lets tansu answer them first)."""
    proc = broker.process
    assert proc is not None and proc.poll() is None, "broker not running"
    os.kill(proc.pid, signal.SIGSTOP)
    proc.kill()
    proc.wait()
    broker.process = None


def stop_broker(broker: EmbeddedBroker) -> None:
    """Stop the broker for good; a stopped (frozen) one is woken first so it can exit."""
    if broker.process is not None and broker.process.poll() is None:
        os.kill(broker.process.pid, signal.SIGCONT)
    broker.stop()


# --- the faults of bench.chaos, injected into a running scenario ---------------------------


@dataclass(kw_only=True)
class Stage:
    """One scenario's live parts."""

    broker: EmbeddedBroker
    worker: Worker
    store: OnlineStore
    redis: RedisServer | None
    say: Say
    alive_during: bool = True  # the worker, while the dependency was down
    letters_pending: float | None = None  # dead letters made but not acknowledged, meanwhile


def worker_metric(worker: Worker, name: str, **labels: str) -> float | None:
    """The sum of a metric's samples on the worker's /metrics that carry `labels` (None if
    it does not export it or does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{worker.web_port}/metrics",
                                    timeout=2) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    want = [f'{k}="{v}"' for k, v in labels.items()]
    found = [float(value) for sample, value in re.findall(
        rf"^({name}(?:{{[^}}]*}})?) ([0-9.e+-]+)$", text, re.MULTILINE)
        if all(w in sample for w in want)]
    return sum(found) if found else None


def _letters_pending(worker: Worker) -> float | None:
    """Dead letters the worker has made whose batch is not done (its deliveries not all
    acknowledged): made minus those counted once their batch finished."""
    made = worker_metric(worker, "agora_worker_dead_letters_total")
    done = worker_metric(worker, "agora_worker_events_total", outcome="dead_letter") or 0.0
    return None if made is None else made - done


async def _dead_letter_count(bootstrap: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tps = [TopicPartition(Topic.dead_letter, p)
               for p in consumer.partitions_for_topic(Topic.dead_letter) or {0}]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def _while_dead_letters_are_sent(stage: Stage) -> list[Sent]:
    """Send a burst of large poisons; return once the first of their dead letters is on the
    broker (the rest are on their way)."""
    before = await _dead_letter_count(stage.broker.bootstrap)
    burst = [Record(topic=Topic.commerce, key=b"burst", poison=f"burst-{i}",
                    value=b"\x00burst %d " % i + CONTROL * 1600) for i in range(BURST)]
    sent = await asyncio.to_thread(ledger.produce, stage.broker.bootstrap, burst)
    deadline = time.monotonic() + 60
    while await _dead_letter_count(stage.broker.bootstrap) == before:
        if time.monotonic() > deadline:
            raise TimeoutError("no dead letter arrived")
        await asyncio.sleep(0.005)
    return sent


async def _redis_kill(stage: Stage) -> tuple[float, list[Sent]]:
    assert stage.redis is not None
    stage.redis.kill9()
    await asyncio.sleep(DOWN_S)
    stage.alive_during = stage.worker.alive()
    await asyncio.to_thread(stage.redis.start)
    return time.monotonic(), []


async def _worker_kill(stage: Stage) -> tuple[float, list[Sent]]:
    stage.worker.kill9()
    stage.worker.start()
    return time.monotonic(), []


async def _broker_freeze(stage: Stage) -> tuple[float, list[Sent]]:
    burst = await _while_dead_letters_are_sent(stage)
    freeze(stage.broker)
    try:
        await asyncio.sleep(DOWN_S)
        stage.alive_during = stage.worker.alive()
        stage.letters_pending = await asyncio.to_thread(_letters_pending, stage.worker)
    finally:
        thaw(stage.broker)
    return time.monotonic(), burst


async def _broker_replace(stage: Stage) -> tuple[float, list[Sent]]:
    burst = await _while_dead_letters_are_sent(stage)
    crash(stage.broker)
    await asyncio.sleep(DOWN_S)
    stage.alive_during = stage.worker.alive()
    stage.letters_pending = await asyncio.to_thread(_letters_pending, stage.worker)
    await asyncio.to_thread(stage.broker.start)
    return time.monotonic(), burst


INJECT: dict[str, Callable[[Stage], Awaitable[tuple[float, list[Sent]]]] | None] = {
    "poison": None, "redis-kill": _redis_kill, "worker-kill": _worker_kill,
    "broker-freeze": _broker_freeze, "broker-replace": _broker_replace}
