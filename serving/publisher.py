"""Events to Kafka: batches acknowledged by the broker, and recommendation events in the background.

aiokafka with `acks=1` and no idempotence (the embedded broker refuses idempotent producers;
event ids make consumers idempotent anyway). Start-up never fails on a dead broker: the
producer connects in the background, and until it is up, `publish` raises `BrokerUnavailable`
(the API answers 503) while recommendation events are counted as dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts import dump_event, key_for, topic_for
from contracts.events import Envelope

log = logging.getLogger(__name__)

QUEUE_MAX = 10_000
RETRY_S = 2.0


class BrokerUnavailable(RuntimeError):
    """The broker did not acknowledge (or cannot be reached)."""


class EventPublisher:
    def __init__(self, *, bootstrap: str, timeout_s: float,
                 on_drop: Callable[[], None] | None = None) -> None:
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._on_drop = on_drop or (lambda: None)
        self._producer: AIOKafkaProducer | None = None
        self._queue: asyncio.Queue[Envelope] = asyncio.Queue(QUEUE_MAX)
        self._tasks: list[asyncio.Task[None]] = []
        self.last_error: str | None = "not connected yet"

    @property
    def available(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._connect(), name="producer-connect"),
                       asyncio.create_task(self._drain(), name="producer-background")]

    async def _connect(self) -> None:
        while True:
            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap, acks=1, enable_idempotence=False,
                linger_ms=2, request_timeout_ms=int(self._timeout_s * 1000),
                client_id="agora-serving")
            quiet = logging.getLogger("aiokafka")  # it logs every refused connection as an error
            level = quiet.level
            quiet.setLevel(logging.CRITICAL)
            try:
                await producer.start()
            except (KafkaError, OSError) as exc:
                self.last_error = f"{type(exc).__name__}"
                await producer.stop()
                await asyncio.sleep(RETRY_S)
                continue
            finally:
                quiet.setLevel(level)
            self._producer, self.last_error = producer, None
            log.info("producer connected to %s", self._bootstrap)
            return

    async def publish(self, events: Sequence[Envelope]) -> None:
        """Send every event and return once the broker acknowledged all of them."""
        producer = self._producer
        if producer is None:
            raise BrokerUnavailable(self.last_error or "producer not started")
        try:
            acks = [await producer.send(topic_for(e), dump_event(e), key=key_for(e))
                    for e in events]
            await asyncio.wait_for(asyncio.gather(*acks), self._timeout_s)
        except (KafkaError, TimeoutError, OSError) as exc:
            self.last_error = type(exc).__name__
            raise BrokerUnavailable(type(exc).__name__) from exc
        self.last_error = None

    def publish_soon(self, event: Envelope) -> None:
        """Queue an event for the background sender; never blocks a request."""
        if self._producer is None:
            self._on_drop()
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._on_drop()

    async def _drain(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < 500:
                batch.append(self._queue.get_nowait())
            try:
                await self.publish(batch)
            except BrokerUnavailable:
                for _ in batch:
                    self._on_drop()
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def stop(self) -> None:
        """Send what is queued (within `timeout_s`), then close. A shutdown that finds the
        broker gone counts what is left as dropped rather than waiting on it."""
        if self._producer is not None:  # connected, so the connecting task is done
            try:
                async with asyncio.timeout(self._timeout_s):
                    await self._queue.join()
            except TimeoutError:
                log.warning("%d recommendation events unsent at shutdown", self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _ in range(self._queue.qsize()):
            self._queue.get_nowait()
            self._on_drop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
