"""The batch loop every context agent runs.

Per batch of Kafka records (from `agents.ingest`): parse each event (bad ones become dead
letters), let the context and the shared activity logic aggregate the batch in memory, spool
the valid events for the lake, apply everything to the online store in one round trip, then
make read-after-write decisions (alerts, flags). Offsets are committed only when this body
returns, so nothing is acknowledged before the store write, the spool append and the delivery
of the dead letters and derived messages. Unexpected errors dead-letter the batch; the agent
keeps going. Store outages block the partition (retry with back-off) instead of losing data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from agents.activity.logic import activity_writes, counter_writes
from agents.context import Context
from agents.deadletter import dead_letter
from agents.lake.spool import LakeSpool
from agents.metrics import WorkerMetrics
from agents.outbox import read_pending, until_available
from agents.trending.logic import interactions, trending_writes
from contracts import EventError, parse_event
from features import kpis as k
from features.buckets import minute_of
from features.online import OnlineStore, StoreUnavailable, Take, WriteBatch

log = logging.getLogger(__name__)


async def apply_with_retry(store: OnlineStore, batch: WriteBatch,
                           metrics: WorkerMetrics | None = None) -> None:
    """Block the partition until the store takes the batch: the events are not acked before."""
    delay = 0.1
    while True:
        try:
            await store.apply(batch)
            return
        except StoreUnavailable as exc:
            if metrics is not None:
                metrics.store_retries.inc()
            log.warning("online store unavailable, retrying in %.1fs: %s", delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


@dataclass(kw_only=True)
class Pipeline:
    context: Context
    store: OnlineStore
    spool: LakeSpool | None
    metrics: WorkerMetrics
    dlq: Any  # faust TopicT of the dead letters
    topics: dict[str, Any]  # derived topics by name
    half_life_s: float

    async def process(self, events: Sequence[Any]) -> None:
        """`events`: records with topic, partition, offset, key, value and timestamp (ms)."""
        started = time.perf_counter()
        name = self.context.name
        valid: list[Any] = []
        raws: list[bytes] = []
        msgs: list[Any] = []
        pending: list[Awaitable[Any]] = []
        for msg in events:
            try:
                valid.append(parse_event(msg.value))
                raws.append(msg.value)
                msgs.append(msg)
            except EventError as exc:
                pending.append(await self._dead(msg, str(exc), exc.field))
        batch = WriteBatch()
        try:
            await self.context.prepare(valid, self.store)
            activity_writes(valid, domain=name, batch=batch)
            self.context.writes(valid, batch)
            for w in trending_writes(interactions(valid), half_life_s=self.half_life_s).writes:
                batch.add(w)
        except Exception as exc:  # a bug must not stop the stream: dead-letter the batch
            log.exception("agent %s failed on a batch of %d events", name, len(valid))
            batch = WriteBatch()
            for msg in msgs:
                pending.append(await self._dead(msg, f"processing failed: {exc!r}", "processing"))
            valid, raws = [], []
        dead = len(events) - len(valid)
        if dead:
            counter_writes({minute_of(time.time()): {k.DEAD_LETTERS: float(dead)}}, batch)
        if self.spool is not None and raws:
            self.spool.append(raws)
        await apply_with_retry(self.store, batch, self.metrics)
        done = time.time()
        if valid:
            pending += await self._after(valid, done)
        for fut in pending:
            await fut
        self.metrics.events.labels(name, "ok").inc(len(valid))
        if dead:
            self.metrics.events.labels(name, "dead_letter").inc(dead)
        self.metrics.processing.labels(name).observe(time.perf_counter() - started)
        fresh = self.metrics.freshness.labels(name)
        for msg in events[:: max(1, len(events) // 20)]:
            fresh.observe(max(0.0, done - msg.timestamp / 1000))

    async def _after(self, valid: list[Any], now: float) -> list[Awaitable[Any]]:
        """Claims with their effects and pending messages (one atomic write each), then every
        pending message of the batch's entities sent and, once the broker has it, settled
        (agents.outbox). Store outages block here: the batch is not committed before."""
        ctx, store, metrics = self.context, self.store, self.metrics
        decided = await until_available(lambda: ctx.after(valid, store, now),
                                        metrics.store_retries.inc)
        await apply_with_retry(store, decided.writes, metrics)
        if not decided.outboxes:
            return []
        found = await until_available(lambda: read_pending(store, decided.outboxes),
                                      metrics.store_retries.inc)
        futs = []
        for p in found:
            futs.append(await self.topics[p.topic].send(key=p.key, value=p.value))
            metrics.outbound.labels(p.topic).inc()
        for fut in futs:
            await fut  # delivered: only now may the records go
        settled = WriteBatch()
        for p in found:
            settled.add(Take(key=p.outbox, field=p.id, writes=ctx.settle(p, now)))
        await apply_with_retry(store, settled, metrics)
        return futs

    async def _dead(self, msg: Any, error: str, field: str) -> Awaitable[Any]:
        self.metrics.dead_letters.labels(self.context.name, field).inc()
        return await self.dlq.send(key=msg.key, value=dead_letter(
            raw=msg.value, error=error, field=field, topic=msg.topic,
            partition=msg.partition, offset=msg.offset, key=msg.key))
