"""The hot path: one batched Kafka consumer feeding every context's pipeline.

Faust's stream machinery costs about 100 µs per message here (a queue hop, a task and an ack
per event), several times the work of the agents themselves. So the worker keeps Faust for
what it does well (lifecycle, web server and /metrics, timers, producing) and consumes the
source topics as a `mode` Service with aiokafka's `getmany`: thousands of records per call,
handed to each context's `Pipeline` as one batch. Offsets are committed only after a batch
is processed (store written, lake spooled, dead letters delivered): at-least-once, with the
exact state idempotent by `event_id`.

A batch that takes long (a pipeline waiting out a store or broker outage) keeps the group
membership: every `KEEPALIVE_S` the loop pauses every assigned partition and polls, which
returns nothing but tells the coordinator this member is alive (`max_poll_interval_ms`);
records of a partition assigned meanwhile are sought back, so nothing is skipped. An
unexpected error in the loop is logged and retried after a back-off: the worker never stops
on one, and a batch is committed only once processed (never processed twice by this loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from mode import Service

from agents.pipeline import Pipeline

log = logging.getLogger(__name__)

# How often a batch that takes long (an outage) polls, paused, to stay in the group: well
# above a normal batch (under 1.5 s on a busy machine), since a pause drops the prefetched
# records, and well below the poll interval.
KEEPALIVE_S = 5.0
# A member that has not polled for this long is stuck: the group gives its partitions away.
MAX_POLL_INTERVAL_MS = 60_000
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 5.0
# How long the broker may hold a fetch that has nothing yet (docs/benchmarks.md, Stream).
FETCH_MAX_WAIT_MS = 20


class BatchIngest(Service):
    def __init__(self, *, bootstrap: str, group_id: str, pipelines: dict[str, Pipeline],
                 max_records: int, within_s: float, session_timeout_s: float,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.pipelines = pipelines
        self.max_records = max_records
        self.within_ms = max(1, int(within_s * 1000))
        self.session_timeout_ms = int(session_timeout_s * 1000)
        self.consumer: AIOKafkaConsumer | None = None

    async def on_start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            fetch_max_bytes=64 << 20,
            max_partition_fetch_bytes=8 << 20,
            # tansu answers a fetch only when its wait is over, new records or not: at
            # aiokafka's 500 ms a record waited 125 ms for its fetch (p50; 250 ms p95).
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            # tansu holds a group join for half the session timeout: keep it short.
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.session_timeout_ms // 6),
            rebalance_timeout_ms=2 * self.session_timeout_ms,
            max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        )
        await self.consumer.start()  # connects; raises if the broker is not there
        # Subscribed after the start, not in the constructor: a consumer built with its
        # topics waits in `start` for its assignment, and tansu holds a group's first join
        # for 3 s. Faust's own consumer (agents.streams), which starts after this service,
        # then began its join (3 s more) only once this one had joined, so the worker was
        # ready on `recommendation.events` about 4 s after the firehose. Now both groups
        # join at once, and `getmany` returns nothing until the assignment is there.
        self.consumer.subscribe(list(self.pipelines))
        self.add_future(self._consume())

    async def on_stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()

    async def _consume(self) -> None:
        delay = FIRST_DELAY_S
        while not self.should_stop:
            try:
                await self._step()
                delay = FIRST_DELAY_S
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not stop the worker: the batch is not committed
                log.exception("consume loop failed, carrying on in %.1fs", delay)
                for pipeline in list(self.pipelines.values())[:1]:  # one registry for all
                    pipeline.metrics.loop_errors.inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)

    async def _step(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        try:
            batches = await consumer.getmany(timeout_ms=self.within_ms,
                                             max_records=self.max_records)
        except KafkaError as exc:
            log.warning("fetch failed, retrying: %s", exc)
            await asyncio.sleep(0.5)
            return
        if not batches:
            return
        try:
            await self._keeping_membership(self.process(batches))
        except Exception:
            self._rewind(consumer, batches)  # not processed: fetched again, not skipped
            raise
        offsets = {tp: records[-1].offset + 1 for tp, records in batches.items()}
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: their new owner re-reads from the last
            # commit, and the exact state ignores what it has seen (event ids).
            log.warning("commit failed (rebalance?), batch will be redelivered: %s", exc)

    async def _keeping_membership(self, work: Awaitable[None]) -> None:
        """Await `work`, polling with every partition paused while it takes long."""
        task = asyncio.ensure_future(work)
        consumer = self.consumer
        assert consumer is not None
        try:
            while not (await asyncio.wait({task}, timeout=KEEPALIVE_S))[0]:
                await self._keepalive(consumer)
        finally:
            if not task.done():  # we are being cancelled (the worker stops)
                task.cancel()
            if paused := consumer.paused():
                consumer.resume(*paused)
        task.result()

    @staticmethod
    def _rewind(consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[Any]]) -> None:
        assigned = consumer.assignment()
        for tp, records in batches.items():
            if tp in assigned:
                consumer.seek(tp, records[0].offset)

    @staticmethod
    async def _keepalive(consumer: AIOKafkaConsumer) -> None:
        consumer.pause(*consumer.assignment())
        try:
            stray = await consumer.getmany(timeout_ms=100)
        except KafkaError as exc:
            log.warning("keepalive poll failed: %s", exc)
            return
        for tp, records in stray.items():  # assigned since the pause: read them again later
            consumer.seek(tp, records[0].offset)

    async def lag(self) -> dict[TopicPartition, int]:
        """High watermark minus position per assigned partition (low on tansu: see brief)."""
        consumer, out = self.consumer, dict[TopicPartition, int]()
        if consumer is None:
            return out
        for tp in consumer.assignment():
            try:
                high = consumer.highwater(tp)
                pos = await consumer.position(tp)
            except KafkaError:  # the partition moved during a rebalance
                continue
            if high is not None and pos is not None:
                out[tp] = max(0, high - pos)
        return out

    async def process(self, batches: dict[TopicPartition, list[Any]]) -> None:
        by_topic: dict[str, list[Any]] = defaultdict(list)
        for tp, records in batches.items():
            by_topic[tp.topic].extend(records)
        # The contexts write disjoint state: their store round trips overlap.
        await asyncio.gather(*(self.pipelines[topic].process(records)
                               for topic, records in by_topic.items()))
