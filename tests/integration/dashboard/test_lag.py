"""Consumer lag read from the real (embedded) broker: end offset minus the group's commit."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from launch.broker import EmbeddedBroker, free_port
from serving.analytics.lag import ConsumerLag, read_lag

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]

TOPIC = "podcast.events"


def produce(bootstrap: str, n: int, partition: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(n):
        producer.produce(TOPIC, value=b"{}", key=str(i).encode(), partition=partition)
        producer.flush(10)  # one batch per message: tansu reports end offsets per batch


def commit(bootstrap: str, group: str, partition: int, offset: int) -> None:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    try:
        consumer.commit(offsets=[TopicPartition(TOPIC, partition, offset)], asynchronous=False)
    finally:
        consumer.close()


def test_lag_is_end_offset_minus_the_committed_offset(broker: EmbeddedBroker) -> None:
    group = f"dash-{uuid.uuid4().hex[:8]}"
    before = read_lag(bootstrap=broker.bootstrap, group=group, topics=[TOPIC])[TOPIC]
    produce(broker.bootstrap, 10, partition=0)
    commit(broker.bootstrap, group, partition=0, offset=4)
    lag = read_lag(bootstrap=broker.bootstrap, group=group, topics=[TOPIC, "no.such.topic"])
    assert set(lag) == {TOPIC}
    # Partition 0 is 6 behind the commit; the other partitions have no commit, so they count
    # from their start, as `before` did (the broker is shared by the session's tests).
    assert lag[TOPIC] == before + 10 - 4


async def test_an_unreachable_broker_is_an_error_reading_not_an_exception() -> None:
    lag = ConsumerLag(bootstrap=f"127.0.0.1:{free_port()}", group="g", topics=[TOPIC], ttl_s=0.0)
    reading = await lag.read()
    assert reading.topics == {}
    assert reading.error and reading.error.startswith("broker unavailable")
