"""Publishing to Kafka with confluent-kafka, waiting for the broker's acks.

Not the idempotent producer (tansu refuses it); one request in flight per connection keeps a
partition's messages in order even when librdkafka retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.adapters.outbox import OutboxMessage


class PublishError(RuntimeError):
    """Some messages were not acknowledged; the batch must be sent again."""


class KafkaPublisher:
    def __init__(self, *, bootstrap: str, delivery_timeout_s: float = 10.0) -> None:
        from confluent_kafka import Producer

        self.delivery_timeout_s = delivery_timeout_s
        self._producer = Producer({
            "bootstrap.servers": bootstrap,
            "enable.idempotence": False,
            "acks": "all",
            "max.in.flight.requests.per.connection": 1,
            "linger.ms": 2,
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "reconnect.backoff.max.ms": 1000,
            "log_level": 3,
        })

    def publish(self, messages: Sequence[OutboxMessage]) -> None:
        """Return once every message is acknowledged; raise `PublishError` otherwise."""
        failures: list[str] = []

        def _delivered(err: Any, msg: Any) -> None:
            if err is not None:
                failures.append(str(err))

        for m in messages:
            while True:
                try:
                    self._producer.produce(m.topic, value=m.value, key=m.key,
                                           on_delivery=_delivered)
                    break
                except BufferError:
                    self._producer.poll(0.05)
            self._producer.poll(0)
        left = self._producer.flush(self.delivery_timeout_s + 1.0)
        if left or failures:
            raise PublishError(f"{left} unacknowledged, {len(failures)} failed"
                               + (f": {failures[0]}" if failures else ""))

    def close(self) -> None:
        self._producer.flush(1.0)
