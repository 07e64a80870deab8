"""`agora relay`: publish outbox rows to Kafka, at least once, in order per aggregate.

Each round leases a few shards of the outbox, publishes their pending rows in id order, waits
for the broker's acks, then marks the rows sent. A failed round marks nothing, gives the shards
back and is retried with exponential backoff, so a broker outage delays events but loses none.
A round smaller than a batch is followed by a short linger, so that under steady traffic each
claim carries many rows: a claim's two transactions and its wait for acks cost the same for
one row as for five hundred.
Several relays can run at once: shards are leased with `FOR UPDATE SKIP LOCKED`. Sent rows
are kept `retention_s` (for audits and hand replays), then purged in bounded batches. Unless
told otherwise, `agora relay` also runs the sweeper (core/entrypoints/sweeper.py) in a thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from core.adapters.outbox import OutboxMessage, OutboxStore
from core.entrypoints.backoff import Backoff

log = logging.getLogger(__name__)


class Publisher(Protocol):
    def publish(self, messages: Sequence[OutboxMessage]) -> None: ...

    def close(self) -> None: ...


def relay_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10_000}"


@dataclass(kw_only=True)
class Relay:
    store: OutboxStore
    publisher_factory: Callable[[], Publisher]
    batch_size: int = 500
    shards_per_claim: int = 4
    poll_interval_s: float = 0.05
    linger_s: float = 0.02
    backoff: Backoff = field(default_factory=Backoff)
    retention_s: float = 7 * 86_400.0
    purge_every_s: float = 60.0
    published: int = field(default=0, init=False)
    purged: int = field(default=0, init=False)
    _publisher: Publisher | None = field(default=None, init=False)
    _next_purge: float = field(default=0.0, init=False)

    def run_once(self) -> int:
        """One round; the number of messages published. Raises what publishing raised."""
        claim = self.store.claim(shards=self.shards_per_claim, batch=self.batch_size,
                                 now=time.time())
        if not claim.shards:
            return 0
        try:
            if self._publisher is None:
                self._publisher = self.publisher_factory()
            self._publisher.publish(claim.messages)
        except BaseException:
            self.store.finish(claim, sent=False)
            raise
        self.store.finish(claim, sent=True)
        self.published += len(claim.messages)
        return len(claim.messages)

    def purge(self, now: datetime | None = None) -> int:
        """Delete the rows sent more than `retention_s` ago; how many went."""
        before = (now or datetime.now(UTC)) - timedelta(seconds=self.retention_s)
        total = 0
        while (gone := self.store.purge_sent(before=before)) > 0:
            total += gone
        self.purged += total
        return total

    def _purge_when_due(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + self.purge_every_s
        try:
            if gone := self.purge():
                log.info("purged %d outbox rows sent over %.0fs ago", gone, self.retention_s)
        except SQLAlchemyError as exc:  # publishing matters more; the next purge catches up
            log.warning("outbox purge failed (%s)", type(exc).__name__)

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: publish, idle when there is nothing, back off on failures."""
        log.info("relay %s started", self.store.owner)
        try:
            while not stop.is_set():
                try:
                    sent = self.run_once()
                except Exception as exc:
                    delay = self.backoff.next()
                    log.warning("relay round failed (%s); retrying in %.1fs", exc, delay)
                    self._drop_publisher()
                    stop.wait(delay)
                    continue
                self.backoff.reset()
                if sent == 0:
                    self._purge_when_due()  # when idle, so a backlog is published first
                    stop.wait(self.poll_interval_s)
                elif sent < self.batch_size:  # a full batch means a backlog: no waiting
                    stop.wait(self.linger_s)
        finally:
            self._drop_publisher()
            log.info("relay %s stopped after %d messages", self.store.owner, self.published)

    def _drop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            try:
                publisher.close()
            except Exception as exc:  # closing a broken producer must not stop the relay
                log.debug("closing the publisher failed: %s", exc)


def build_relay(*, database_url: str, bootstrap: str, batch_size: int = 500,
                shards_per_claim: int = 4, delivery_timeout_s: float = 10.0,
                backoff_max_s: float = 5.0, retention_s: float = 7 * 86_400.0,
                linger_s: float = 0.02) -> Relay:
    from core.adapters.database import create_database_engine
    from core.adapters.kafka_publisher import KafkaPublisher

    engine = create_database_engine(database_url, pool_size=2)
    return Relay(
        store=OutboxStore(engine=engine, owner=relay_id(), lease_s=3 * delivery_timeout_s),
        publisher_factory=lambda: KafkaPublisher(bootstrap=bootstrap,
                                                 delivery_timeout_s=delivery_timeout_s),
        batch_size=batch_size, shards_per_claim=shards_per_claim,
        backoff=Backoff(max_s=backoff_max_s), retention_s=retention_s, linger_s=linger_s)


def run_relay(*, database_url: str, bootstrap: str, stop: threading.Event | None = None,
              on_start: Callable[[Relay], None] | None = None,
              sweep: Mapping[str, float] | None = None, **options: float) -> int:
    """`agora relay`: run until SIGINT/SIGTERM (or `stop`); `on_start` gets the relay before
    it runs; with `sweep` (the sweeper's options), the sweeper runs beside it in a thread."""
    import signal

    from core.entrypoints.sweeper import run_sweeper

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    relay = build_relay(database_url=database_url, bootstrap=bootstrap, **options)  # type: ignore[arg-type]
    if on_start is not None:
        on_start(relay)
    sweeper = None
    if sweep is not None:
        sweeper = threading.Thread(target=run_sweeper, name="sweeper", daemon=True, kwargs={
            "database_url": database_url, "stop": stop, "options": sweep})
        sweeper.start()
    try:
        relay.run(stop)
    finally:
        stop.set()
        if sweeper is not None:
            sweeper.join(10)
        relay.store.engine.dispose()
    return 0
