"""`agora relay` on SQLite and PostgreSQL against the real broker: order, no loss, outages."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from contracts import parse_event
from core.adapters import outbox
from core.adapters.database import create_database_engine
from core.adapters.kafka_publisher import KafkaPublisher
from core.adapters.outbox import OutboxMessage, OutboxStore
from core.domain.events import InventoryAdjusted
from core.entrypoints.backoff import Backoff
from core.entrypoints.relay import Relay
from launch.broker import EmbeddedBroker, free_port

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


def write_events(url: str, *, products: int, per_product: int) -> list[InventoryAdjusted]:
    """Restock events whose `on_hand` counts up per product, written straight to the outbox."""
    tag = uuid.uuid4().hex[:8]
    events = [InventoryAdjusted(product_id=f"{tag}-p{p}", delta=1, reason="restock", on_hand=n)
              for n in range(1, per_product + 1) for p in range(products)]
    engine = create_database_engine(url, pool_size=1)
    with engine.begin() as conn:
        outbox.write(conn, events)
    engine.dispose()
    return events


class Recording:
    """A publisher that remembers what the broker acknowledged."""

    def __init__(self, inner: KafkaPublisher, acked: list[bytes], delay_s: float) -> None:
        self.inner, self.acked, self.delay_s = inner, acked, delay_s

    def publish(self, messages: Sequence[OutboxMessage]) -> None:
        time.sleep(self.delay_s)  # a slow link, so that a test can stop the broker mid-relay
        self.inner.publish(messages)
        self.acked.extend(m.value for m in messages)

    def close(self) -> None:
        self.inner.close()


def relay(url: str, bootstrap: str, acked: list[bytes], delay_s: float = 0.0,
          **kw: object) -> Relay:
    engine = create_database_engine(url, pool_size=2)
    return Relay(store=OutboxStore(engine=engine, owner=uuid.uuid4().hex, lease_s=10.0),
                 publisher_factory=lambda: Recording(
                     KafkaPublisher(bootstrap=bootstrap, delivery_timeout_s=2.0), acked, delay_s),
                 backoff=Backoff(initial_s=0.1, max_s=0.5), **kw)  # type: ignore[arg-type]


def consume(bootstrap: str, wanted: set[str], timeout_s: float = 30.0) -> list[tuple[str, int]]:
    """(product, on_hand) of the wanted events in arrival order, duplicates included."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex,
                         "enable.auto.commit": False})
    topic = "commerce.events"
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    # Assigned, not subscribed: tansu holds a group join for half the session timeout.
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    seen: list[tuple[str, int]] = []
    found: set[str] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while found != wanted and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            event = parse_event(msg.value() or b"")
            if str(event.event_id) in wanted:
                found.add(str(event.event_id))
                seen.append((event.product_id, event.on_hand))  # type: ignore[union-attr]
    finally:
        consumer.close()
    return seen


def assert_in_order(seen: list[tuple[str, int]]) -> None:
    """Per product, first arrivals count up by one from the first one seen (duplicates of
    earlier events may repeat: at least once)."""
    last: dict[str, int] = {}
    for product, on_hand in seen:
        last.setdefault(product, on_hand - 1)
        if on_hand > last[product]:
            assert on_hand == last[product] + 1, f"{product}: {on_hand} after {last[product]}"
            last[product] = on_hand


def drain(r: Relay, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while r.store.pending() and time.monotonic() < deadline:
        r.run_once()
    assert r.store.pending() == 0


def test_relay_publishes_everything_in_order_and_marks_it_sent(
        core_database_url: str, broker: EmbeddedBroker):
    events = write_events(core_database_url, products=10, per_product=30)
    acked: list[bytes] = []
    r = relay(core_database_url, broker.bootstrap, acked, batch_size=64)
    drain(r)
    assert len(acked) == len(events)
    seen = consume(broker.bootstrap, {str(e.event_id) for e in events})
    assert len({(p, n) for p, n in seen}) == len(events)
    assert_in_order(seen)


def test_several_relays_share_the_work_without_doing_it_twice(
        core_postgres_url: str, broker: EmbeddedBroker):
    events = write_events(core_postgres_url, products=40, per_product=25)
    acked: list[bytes] = []
    relays = [relay(core_postgres_url, broker.bootstrap, acked, batch_size=50,
                    shards_per_claim=2) for _ in range(3)]
    stop = threading.Event()
    threads = [threading.Thread(target=r.run, args=(stop,)) for r in relays]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while relays[0].store.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acked) == len(events), "an event was published twice or not at all"
    assert sum(1 for r in relays if r.published) >= 2, "the relays did not share the work"
    assert_in_order(consume(broker.bootstrap, {str(e.event_id) for e in events}))


def test_broker_outage_mid_relay_loses_nothing(core_database_url: str):
    port = free_port()
    first = EmbeddedBroker(port=port)
    first.start()
    events = write_events(core_database_url, products=20, per_product=60)
    acked_by_first: list[bytes] = []
    r = relay(core_database_url, first.bootstrap, acked_by_first, delay_s=0.15, batch_size=20,
              shards_per_claim=1)
    stop = threading.Event()
    thread = threading.Thread(target=r.run, args=(stop,))
    thread.start()
    second = EmbeddedBroker(port=port)
    try:
        while r.published < 100:
            time.sleep(0.005)
        first.stop()  # mid-relay (tansu lingers up to 5 s); memory storage: its data is gone
        stopped_at = r.published
        time.sleep(1.5)  # the relay fails, backs off, retries
        assert r.store.pending() > 0 and r.published == stopped_at
        second.start()
        deadline = time.monotonic() + 60
        while r.store.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert r.store.pending() == 0
    finally:
        stop.set()
        thread.join(15)
        ids_before = {str(parse_event(v).event_id) for v in acked_by_first[:stopped_at]}
        wanted = {str(e.event_id) for e in events} - ids_before
        after = consume(second.bootstrap, wanted) if wanted else []
        second.stop()
    assert 0 < len(ids_before) < len(events)
    assert len({(p, n) for p, n in after}) == len(wanted), "events lost in the outage"
    assert_in_order(after)
