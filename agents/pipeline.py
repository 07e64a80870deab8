"""The batch loop every context agent runs, with a fault boundary around every event.

A batch of Kafka records (from `agents.ingest`) is settled in steps (`Settlement`):

1. parse: an event its contract refuses is a dead letter (stage `parse`);
2. apply: the valid events are settled in groups, at first one group for the whole batch.
   For a group the context looks up what it needs (`prepare`), the pure logic computes the
   group's writes, every number is checked (`check_representable`) and the store applies
   them in one round trip. If any of that raises for a reason that is not an outage, the
   group is split in halves and each half settled again, down to the single events at
   fault: dead letters of stage `process`, none of their writes applied. A clean batch
   costs one attempt; k bad events among n about 2k·log2(n/k) more;
3. decide: read-after-write decisions (`after`: claims with their effects, agents.outbox)
   for the applied events, with the same boundary: an event at fault there is a dead letter
   of stage `after`, its writes of step 2 staying applied (the record says so);
4. spool the applied events for the lake, count the dead letters, send and settle the
   pending derived messages, deliver the dead letters (bounded records, agents.deadletter).

An outage (the store or the broker unavailable, a timeout, a full disk) is never a dead
letter: the step waits with back-off (agents.faults) while `agents.ingest` keeps the group
membership, and offsets are committed only when every step is done.

What is applied once: a group's writes are computed from its events alone and sent only
after every pure step for it succeeded, so a half that was applied is never applied again,
approximate counters included. A refusal by the store leaves nothing of the group applied:
SQLite rolls the transaction back; for Redis the number check is what makes it so, since a
script stops at a refused call without undoing the calls before it. What that check cannot
foresee on Redis is a key holding another type (which the key layout rules out,
features.keys) or a write of the wrong type (a bug); should one happen anyway, the calls
before it in its script chunks stay, so approximate counters may count some events of the
failing groups more than once (and a `Once` cut there stays cut); the event is still found
and dead-lettered, the others applied.

A step that raises unexpectedly (a bug) is logged and the settlement carries on from that
step after a back-off: `process` returns only once the batch is settled, and never applies
a step twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agents.activity.logic import activity_writes, counter_writes
from agents.context import Context
from agents.deadletter import Message, dead_letter, deliver, deliver_letters
from agents.faults import check_representable, retry_outages
from agents.lake.spool import LakeSpool
from agents.metrics import WorkerMetrics, field_label
from agents.outbox import read_pending
from agents.trending.logic import interactions, trending_writes
from contracts import EventError
from contracts.structs import DECODER
from features import kpis as k
from features.buckets import minute_of
from features.online import OnlineStore, Take, WriteBatch

log = logging.getLogger(__name__)

FIRST_DELAY_S = 0.1
MAX_DELAY_S = 5.0


@dataclass(frozen=True, slots=True)
class Fault:
    """Why a group failed: `field` is `processing` (the context's logic) or `store` (the
    store refused its writes, or the check did)."""

    field: str
    error: BaseException


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
        """Settle a batch of records; returns once every step is done (see the module)."""
        settlement, delay = Settlement(self, events), FIRST_DELAY_S
        while True:
            try:
                await settlement.run()
                return
            except Exception:
                self.metrics.loop_errors.inc()
                log.exception("agent %s: batch step failed, carrying on in %.1fs",
                              self.context.name, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)

    async def _retry(self, call: Any) -> Any:
        return await retry_outages(call, what="online store",
                                   on_retry=self.metrics.store_retries.inc)

    async def _write(self, batch: WriteBatch) -> Fault | None:
        try:
            check_representable(batch.writes)
            await self._retry(lambda: self.store.apply(batch))
        except Exception as exc:  # not an outage: retry_outages waits those out
            return Fault("store", exc)
        return None

    async def apply(self, events: list[Any]) -> Fault | None:
        """Step 2 for one group: None once applied, else why it was not."""
        ctx, store = self.context, self.store
        batch = WriteBatch()
        try:
            await self._retry(lambda: ctx.prepare(events, store))
            activity_writes(events, domain=ctx.name, batch=batch)
            ctx.writes(events, batch)
            for w in trending_writes(interactions(events), half_life_s=self.half_life_s).writes:
                batch.add(w)
        except Exception as exc:
            return Fault("processing", exc)
        return await self._write(batch)

    async def decide(self, events: list[Any], now: float, outboxes: list[str]) -> Fault | None:
        """Step 3 for one group: its claims and effects applied, its outboxes noted."""
        ctx, store = self.context, self.store
        try:
            decided = await self._retry(lambda: ctx.after(events, store, now))
        except Exception as exc:
            return Fault("processing", exc)
        if (fault := await self._write(decided.writes)) is None:
            outboxes += decided.outboxes
        return fault

    async def send_pending(self, outboxes: list[str], now: float) -> None:
        """Every pending message of these outboxes sent, and once the broker has it, settled
        (agents.outbox). A record whose settlement fails stays pending: sent again later."""
        ctx, store, metrics = self.context, self.store, self.metrics
        found = await self._retry(lambda: read_pending(store, outboxes))
        for topic in sorted({p.topic for p in found}):
            mine = [p for p in found if p.topic == topic]
            await deliver(self.topics[topic], [Message(p.key, p.value) for p in mine],
                          what=topic, on_retry=metrics.delivery_retries.inc)
            metrics.outbound.labels(topic).inc(len(mine))
        settled = WriteBatch()
        for p in found:
            try:
                settled.add(Take(key=p.outbox, field=p.id, writes=ctx.settle(p, now)))
            except Exception:
                log.exception("agent %s: cannot settle message %s of %s", ctx.name, p.id,
                              p.outbox)
        try:
            check_representable(settled.writes)
            await self._retry(lambda: store.apply(settled))
        except Exception:
            log.exception("agent %s: settlements refused, %d messages stay pending",
                          ctx.name, len(settled))

    async def count_dead(self, n: int) -> None:
        batch = WriteBatch()
        counter_writes({minute_of(time.time()): {k.DEAD_LETTERS: float(n)}}, batch)
        await self._retry(lambda: self.store.apply(batch))

    async def spool_events(self, raws: list[bytes]) -> None:
        if self.spool is None or not raws:
            return
        delay = FIRST_DELAY_S
        while True:
            try:
                self.spool.append(raws)
                return
            except OSError as exc:  # a full or failing disk: wait, as for the store
                self.metrics.spool_retries.inc()
                log.warning("lake spool unavailable, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)


class Settlement:
    """One batch through one pipeline, resumable: `run()` again after an exception carries
    on from the first step not done, so no step is applied twice.

    Groups are index ranges over parallel lists of records and events (the halves of a range
    are ranges): no object per event, which the garbage collector would pay for."""

    def __init__(self, pipeline: Pipeline, records: Sequence[Any]) -> None:
        self.p = pipeline
        self.records = records
        self.started = time.perf_counter()
        self.letters: list[Message] = []
        self.dead = 0  # dead letters of stages parse and process
        self.msgs: list[Any] = []  # the records that parsed, and their events
        self.events: list[Any] = []
        self.applied_msgs: list[Any] = []
        self.applied_events: list[Any] = []
        self.to_apply: list[tuple[int, int]] | None = None  # a stack of ranges
        self.to_decide: list[tuple[int, int]] | None = None
        self.outboxes: list[str] = []
        self.now = 0.0
        self.done: set[str] = set()

    async def run(self) -> None:
        p = self.p
        if self.to_apply is None:
            self._parse()
            self.to_apply = [(0, len(self.events))] if self.events else []
        while self.to_apply:
            lo, hi = self.to_apply[-1]
            fault = await p.apply(_part(self.events, lo, hi))
            self.to_apply.pop()
            if fault is None:
                self.applied_msgs += _part(self.msgs, lo, hi)
                self.applied_events += _part(self.events, lo, hi)
            else:
                self._split(self.msgs, lo, hi, fault, "process", self.to_apply)
        if self.to_decide is None:
            self.now = time.time()
            self.to_decide = [(0, len(self.applied_events))] if self.applied_events else []
        while self.to_decide:
            lo, hi = self.to_decide[-1]
            fault = await p.decide(_part(self.applied_events, lo, hi), self.now, self.outboxes)
            self.to_decide.pop()
            if fault is not None:
                self._split(self.applied_msgs, lo, hi, fault, "after", self.to_decide)
        if "count" not in self.done:
            if self.letters:
                await p.count_dead(len(self.letters))
            self.done.add("count")
        if "spool" not in self.done:
            await p.spool_events([msg.value for msg in self.applied_msgs])
            self.done.add("spool")
        if "send" not in self.done:
            if self.outboxes:
                await p.send_pending(self.outboxes, self.now)
            self.done.add("send")
        if "letters" not in self.done:
            await deliver_letters(p.dlq, self.letters, on_retry=p.metrics.delivery_retries.inc)
            self.done.add("letters")
        if "metrics" not in self.done:
            self.done.add("metrics")
            self._observe()

    def _parse(self) -> None:
        msgs, events = self.msgs, self.events
        for msg in self.records:
            try:
                events.append(DECODER.parse(msg.value))  # msgspec, else pydantic
                msgs.append(msg)
            except EventError as exc:
                self._letter(msg, str(exc), exc.field, "parse")
            except Exception as exc:  # whatever the bytes do to the parser
                self._letter(msg, f"unparseable: {exc!r}", "event", "parse")

    def _split(self, msgs: list[Any], lo: int, hi: int, fault: Fault, stage: str,
               stack: list[tuple[int, int]]) -> None:
        if hi - lo > 1:
            self.p.metrics.splits.labels(self.p.context.name).inc()
            mid = (lo + hi) // 2
            stack += [(mid, hi), (lo, mid)]  # the first half is settled first
            return
        msg = msgs[lo]
        log.warning("agent %s: event at %s/%s/%s dead-lettered (%s): %r", self.p.context.name,
                    msg.topic, msg.partition, msg.offset, stage, fault.error)
        self._letter(msg, f"{stage} failed: {fault.error!r}", fault.field, stage)

    def _letter(self, msg: Any, error: str, field: str, stage: str) -> None:
        if stage != "after":
            self.dead += 1
        self.p.metrics.dead_letters.labels(self.p.context.name, field_label(field)).inc()
        self.letters.append(Message(msg.key, dead_letter(
            raw=msg.value, error=error, field=field, topic=msg.topic, partition=msg.partition,
            offset=msg.offset, key=msg.key, stage=stage)))

    def _observe(self) -> None:
        m, name, events = self.p.metrics, self.p.context.name, self.records
        m.events.labels(name, "ok").inc(len(self.applied_msgs))
        if self.dead:
            m.events.labels(name, "dead_letter").inc(self.dead)
        m.processing.labels(name).observe(time.perf_counter() - self.started)
        fresh, done = m.freshness.labels(name), time.time()
        for msg in events[:: max(1, len(events) // 20)]:
            fresh.observe(max(0.0, done - msg.timestamp / 1000))


def _part(items: list[Any], lo: int, hi: int) -> list[Any]:
    return items if lo == 0 and hi == len(items) else items[lo:hi]
