"""Faust's own agents: the low-volume topics, on Faust's per-message path.

Faust's stream costs about 100 µs per message here (a queue hop, a task and an ack per
event; docs/benchmarks.md, Stream), three times a context's own work, so the firehose
(commerce, community, podcast, identity) is read by the batched consumer (agents.ingest).
What is left suits Faust's path, and its consumer reads it in the group
`<AGORA_WORKER_APP_ID>-app` (`agora.kafka.faust_group`):

- `recommendation.events`, impressions and clicks: the recommendation context's pipeline
  (agents.pipeline: dead letters, click-through per model and variant, activity, the lake),
  fed by `take_events` in batches of at most `max_records`, or what arrived within
  `within_s`. This topic is read here only: the batched consumer does not subscribe to it.
- `alerts.inventory` and `moderation.flags`, the worker's own derived messages: their
  consumer end. Delivery is at-least-once (agents.outbox), so each message is counted once
  per identity (`alert_id` and status; `flag_id` and decision time) as
  `agora_worker_events_total{agent="alerts"|"flags",outcome="ok"}`, a redelivery as
  `outcome="repeat"`, with its delay from decision to consumption
  (`agora_worker_derived_delay_seconds`). Their effects on the dashboard (its indexes and
  counters) are applied by the producing pipeline's settle, exactly once; these agents
  write nothing to the store.

Offsets: `take_events` acks a batch's events once the agent's body for that batch has
returned (for recommendations: store written, lake spooled, dead letters delivered), and
Faust commits the acked offsets every `broker_commit_interval` (1 s) and on a rebalance or
a stop. A crash redelivers at most the uncommitted second: at-least-once, as with the
batched consumer.

No `app.Table`: a table is restored from its changelog, and the embedded broker reports an
end offset short of the last batch (docs/architecture.md), so a restore can miss the last
updates. The click attribution (request → model, variant) stays in the online store
(`rec:req:{id}`, with the context's in-process cache); the identities of derived messages
seen are in-process (the counters they guard are per process too).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
import orjson

from agents.deadletter import Message, dead_letter, deliver_letters
from agents.metrics import WorkerMetrics
from agents.pipeline import Pipeline
from contracts.topics import Topic

log = logging.getLogger(__name__)

# Source topics read by the agents here, not by the batched consumer.
PER_MESSAGE_TOPICS: tuple[str, ...] = (Topic.recommendation,)
# Derived topic -> the agent's name and the fields that identify one message.
DERIVED: dict[str, tuple[str, tuple[str, ...]]] = {
    Topic.inventory_alerts: ("alerts", ("alert_id", "status")),
    Topic.moderation_flags: ("flags", ("flag_id", "at")),
}
SEEN_MAX = 100_000


@dataclass(frozen=True, slots=True)
class Record:
    """A Faust message in the shape the pipeline reads (aiokafka's: timestamp in ms)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: float = field(default_factory=lambda: time.time() * 1000)

    @classmethod
    def of(cls, event: Any) -> Record:
        m = event.message
        return cls(topic=m.topic, partition=m.partition, offset=m.offset, key=m.key,
                   value=m.value, timestamp=(m.timestamp or time.time()) * 1000)


class DerivedReader:
    """The consumer end of one derived topic: each message counted once per identity."""

    def __init__(self, *, topic: str, metrics: WorkerMetrics, dlq: Any) -> None:
        self.topic = topic
        self.name, self.identity = DERIVED[topic]
        self.metrics = metrics
        self.dlq = dlq
        self.seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()

    async def read(self, records: Sequence[Record]) -> None:
        m, now, letters = self.metrics, time.time(), []
        for r in records:
            try:
                body = orjson.loads(r.value or b"")
                ident = tuple(body[f] for f in self.identity)
                delay = max(0.0, now - float(body["at"]))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                m.events.labels(self.name, "dead_letter").inc()
                m.dead_letters.labels(self.name, "event").inc()
                letters.append(Message(r.key, dead_letter(
                    raw=r.value, error=f"unreadable {self.name} message: {exc!r}",
                    field="event", topic=r.topic, partition=r.partition, offset=r.offset,
                    key=r.key, stage="parse")))
                continue
            if ident in self.seen:
                m.events.labels(self.name, "repeat").inc()
                continue
            self.seen[ident] = None
            if len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
            m.events.labels(self.name, "ok").inc()
            m.derived_delay.labels(self.topic).observe(delay)
        if letters:
            await deliver_letters(self.dlq, letters, on_retry=m.delivery_retries.inc)


def install_agents(app: faust.App, *, pipelines: dict[str, Pipeline], metrics: WorkerMetrics,
                   dlq: Any, max_records: int, within_s: float) -> None:
    """Declare the agents: one per per-message source topic (its context's pipeline), one
    per derived topic."""
    for topic, pipeline in pipelines.items():
        _pipeline_agent(app, topic, pipeline, max_records=max_records, within_s=within_s)
    for topic in DERIVED:
        reader = DerivedReader(topic=topic, metrics=metrics, dlq=dlq)
        _reader_agent(app, reader, max_records=max_records, within_s=within_s)


def _raw_topic(app: faust.App, topic: str) -> Any:
    return app.topic(topic, key_serializer="raw", value_serializer="raw")


def _pipeline_agent(app: faust.App, topic: str, pipeline: Pipeline, *, max_records: int,
                    within_s: float) -> None:
    @app.agent(_raw_topic(app, topic), name=f"agora.{pipeline.context.name}")
    async def consume(stream: Any) -> None:
        async for events in stream.take_events(max_records, within=within_s):
            await pipeline.process([Record.of(e) for e in events])  # returns once settled


def _reader_agent(app: faust.App, reader: DerivedReader, *, max_records: int,
                  within_s: float) -> None:
    @app.agent(_raw_topic(app, reader.topic), name=f"agora.{reader.name}")
    async def consume(stream: Any) -> None:
        async for events in stream.take_events(max_records, within=within_s):
            await reader.read([Record.of(e) for e in events])


async def faust_lag(app: faust.App) -> dict[tuple[str, int], int]:
    """High watermark minus position per partition the Faust consumer reads for an agent."""
    ours = set(PER_MESSAGE_TOPICS) | set(DERIVED)
    out: dict[tuple[str, int], int] = {}
    consumer = app.consumer
    for tp in consumer.assignment():
        if tp.topic not in ours:  # Faust's own leader topic
            continue
        try:
            high, pos = consumer.highwater(tp), await consumer.position(tp)
        except Exception:  # the partition moved during a rebalance
            continue
        if high is not None and pos is not None:
            out[(tp.topic, tp.partition)] = max(0, high - pos)
    return out
