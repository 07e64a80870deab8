"""Consumer lag of the stream workers' groups, per source topic, read from the broker.

Lag is end offset minus the committed offset, summed over each topic's partitions; a topic's
commits are those of the group that reads it, the batched consumer's or the Faust agents'.
On the embedded broker (tansu 0.6) end offsets are low (first offset of the last batch plus
one), so lag reads low there; on Kafka it is exact. Reads run in a thread and are cached for
a couple of seconds, so many dashboards cost the broker one query.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaException, TopicPartition

from agora.kafka import faust_group

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LagReading:
    topics: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"topics": self.topics, "error": self.error}


def read_lag(
    *, bootstrap: str, group: str, topics: Sequence[str], timeout_s: float = 2.0
) -> dict[str, int]:
    """Blocking: the group's lag per topic (topics the broker does not know are left out)."""
    consumer = _consumer(bootstrap, group, timeout_s)
    try:
        metadata = consumer.list_topics(timeout=timeout_s)
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            if topic in metadata.topics
            for p in metadata.topics[topic].partitions
        ]
        if not partitions:
            return {}
        lag = dict.fromkeys((tp.topic for tp in partitions), 0)
        # A topic is read by the batched consumer (`group`) or the Faust agents (their
        # group): its commits are in one of the two.
        committed = {(tp.topic, tp.partition): tp.offset
                     for tp in consumer.committed(partitions, timeout=timeout_s)}
        for tp in _committed(bootstrap, faust_group(group), partitions, timeout_s):
            key = (tp.topic, tp.partition)
            committed[key] = max(committed.get(key, -1), tp.offset)
        for (topic, partition), offset in committed.items():
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout_s, cached=False
            )
            position = offset if offset >= 0 else low
            lag[topic] += max(0, high - position)
        return lag
    finally:
        consumer.close()


def _consumer(bootstrap: str, group: str, timeout_s: float) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "enable.auto.commit": False,
            "socket.timeout.ms": int(timeout_s * 1000),
            "log_level": 3,
        }
    )


def _committed(
    bootstrap: str, group: str, partitions: list[TopicPartition], timeout_s: float
) -> list[TopicPartition]:
    consumer = _consumer(bootstrap, group, timeout_s)
    try:
        return list(consumer.committed(partitions, timeout=timeout_s))
    finally:
        consumer.close()


class ConsumerLag:
    """Cached, non-blocking lag reads for the API."""

    def __init__(
        self, *, bootstrap: str, group: str, topics: Sequence[str], ttl_s: float = 2.0
    ) -> None:
        self._args = {"bootstrap": bootstrap, "group": group, "topics": tuple(topics)}
        self._ttl_s = ttl_s
        self._reading = LagReading(error="not read yet")
        self._read_at = -float("inf")
        self._lock = asyncio.Lock()

    async def read(self) -> LagReading:
        async with self._lock:
            if time.monotonic() - self._read_at < self._ttl_s:
                return self._reading
            try:
                topics = await asyncio.to_thread(read_lag, **self._args)  # type: ignore[arg-type]
                self._reading = LagReading(topics=topics)
            except (KafkaException, RuntimeError) as exc:
                log.warning("consumer lag unavailable: %s", exc)
                self._reading = LagReading(error=f"broker unavailable: {exc}")
            self._read_at = time.monotonic()
            return self._reading
