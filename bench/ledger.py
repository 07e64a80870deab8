"""What was produced, what the worker made of it, and whether the two agree.

`produce` sends records with confluent-kafka (librdkafka: a client from outside the project)
and keeps where each landed. `expected` sums the valid events sent; `recount` sums the lake;
`observe` reads the online store. The exact figures are orders, GMV in cents and on-hand per
product: the store applies each event id once, so redelivery may not change them. Dead letters
are matched to the poisons by where they came from (topic, partition, offset).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.poison import Record
from contracts.topics import SOURCE_TOPICS, Topic
from features import kpis as k
from features.inventory import inventory_key
from features.lake import read_events, records
from features.online import OnlineStore, StoreUnavailable

Source = tuple[str, int, int]  # topic, partition, offset


@dataclass(frozen=True, slots=True)
class Sent:
    record: Record
    source: Source


def produce(bootstrap: str, records: Sequence[Record], *, per_s: float | None = None) -> list[Sent]:
    """Send every record and wait for each acknowledgement; at most `per_s` records a second
    if given. Blocking: run it in a thread from async code."""
    from confluent_kafka import KafkaError, Message, Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                         "enable.idempotence": False, "message.max.bytes": 2_000_000,
                         "message.timeout.ms": 120_000})
    sent: list[Sent] = []
    failed: list[str] = []

    def done(record: Record) -> Any:
        def report(err: KafkaError | None, msg: Message) -> None:
            if err is not None:
                failed.append(f"{record.poison or 'event'}: {err}")
            else:
                sent.append(Sent(record, (str(msg.topic()), int(msg.partition() or 0),
                                          int(msg.offset() or 0))))
        return report

    started = time.monotonic()
    for n, r in enumerate(records):
        if per_s is not None:
            ahead = n / per_s - (time.monotonic() - started)
            if ahead > 0:
                producer.poll(ahead)  # serves delivery reports while it waits
        while True:
            try:
                if r.partition is None:
                    producer.produce(r.topic, r.value, r.key, on_delivery=done(r))
                else:
                    producer.produce(r.topic, r.value, r.key, partition=r.partition,
                                     on_delivery=done(r))
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.1)
        producer.poll(0)
    if producer.flush(150) or failed:
        raise RuntimeError(f"not delivered: {failed[:5]} ({len(failed)} in all)")
    return sent


@dataclass(kw_only=True)
class Totals:
    orders: int = 0
    gmv_cents: int = 0
    stock: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return (f"{self.orders} orders, {self.gmv_cents} GMV cents, "
                f"{len(self.stock)} products' stock")


def _totals(events: Iterable[dict[str, Any]]) -> Totals:
    orders, gmv, stock = 0, 0, defaultdict[str, int](int)
    for ev in events:
        if ev["event_type"] == "order_placed":
            orders += 1
            gmv += round(ev["total"] * 100)  # as agents.commerce.logic.cents
        elif ev["event_type"] == "inventory_adjusted":
            stock[ev["product_id"]] += ev["delta"]
    return Totals(orders=orders, gmv_cents=gmv, stock=dict(stock))


def expected(sent: Iterable[Sent]) -> Totals:
    """The totals of the valid events sent, each event id once."""
    events = {s.record.event["event_id"]: s.record.event for s in sent
              if s.record.event is not None}
    return _totals(events.values())


def ends(sent: Iterable[Sent]) -> dict[tuple[str, int], int]:
    """The log end offset each partition reached, as far as these records tell."""
    out: dict[tuple[str, int], int] = {}
    for s in sent:
        topic, partition, offset = s.source
        out[(topic, partition)] = max(out.get((topic, partition), 0), offset + 1)
    return out


def valid_ids(sent: Iterable[Sent]) -> set[str]:
    return {s.record.event["event_id"] for s in sent if s.record.event is not None}


@dataclass(kw_only=True)
class Lake:
    ids: set[str]
    totals: Totals


def recount(lake: Path) -> Lake:
    """The events in the lake (deduplicated by event id) and their totals."""
    if not lake.exists():
        return Lake(ids=set(), totals=Totals())
    df = read_events(path=lake)
    return Lake(ids=set(df.event_id), totals=_totals(records(df)))


async def observe(store: OnlineStore, products: Iterable[str]) -> Totals:
    """The exact totals in the online store, for the given products' stock."""
    totals = await store.get_fields(k.TOTALS_KEY)
    pids = sorted(products)
    rows = await store.get_many([inventory_key(p) for p in pids])
    return Totals(orders=int(float(totals.get(k.ORDERS, 0))),
                  gmv_cents=int(float(totals.get(k.GMV_CENTS, 0))),
                  stock={p: int(float(r["on_hand"])) for p, r in zip(pids, rows, strict=True)
                         if "on_hand" in r})


async def events_applied(store: OnlineStore) -> float:
    """The store's approximate count of valid events (all domains); -1 while it is down."""
    try:
        totals = await store.get_fields(k.TOTALS_KEY)
    except StoreUnavailable:
        return -1.0
    return sum(float(v) for f, v in totals.items() if f.startswith("events|"))


def dead_letters(bootstrap: str, timeout_s: float = 10.0) -> list[dict[str, Any]]:
    """Every record of `events.dead_letter`. Blocking. Read past the high watermark until
    nothing more comes: tansu's lags behind the last record batch appended."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-ledger",
                         "enable.auto.commit": False})
    try:
        meta = consumer.list_topics(Topic.dead_letter, timeout=timeout_s)
        parts = list(meta.topics[Topic.dead_letter].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(Topic.dead_letter, p),
                                                  timeout=timeout_s)[1] for p in parts}
        todo = {p for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(Topic.dead_letter, p, 0) for p in todo])
        out: list[dict[str, Any]] = []
        deadline, idle = time.monotonic() + timeout_s, 0
        while (todo or idle < 2) and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is None:
                idle += 0 if todo else 1
                continue
            if msg.error() is not None:
                continue
            idle = 0
            value = msg.value() or b"{}"
            out.append(orjson.loads(value) | {"_bytes": len(value)})
            if (msg.offset() or 0) + 1 >= ends[msg.partition() or 0]:
                todo.discard(msg.partition() or 0)
        if todo:
            raise TimeoutError(f"dead letters of partitions {sorted(todo)} not read")
        return out
    finally:
        consumer.close()


def lettered(sent: dict[Source, Sent], letters: Iterable[dict[str, Any]]) -> set[Source]:
    """The sources in `sent` that have a dead letter. A letter names its source; one that
    carries the original's SHA-256 must match it too (after a broker is replaced, offsets
    of the old one and the new one coincide)."""
    out = set()
    for d in letters:
        src = (d["source"]["topic"], d["source"]["partition"], d["source"]["offset"])
        s = sent.get(src)
        digest = d.get("original_sha256")
        if s is not None and (digest is None
                              or digest == hashlib.sha256(s.record.value).hexdigest()):
            out.add(src)
    return out


def committed(bootstrap: str, group: str, timeout_s: float = 10.0) -> dict[tuple[str, int], int]:
    """The worker's committed offset per source partition (absent: none yet), from the group
    that reads it: the batched consumer's `group` or its Faust agents' (agents.streams).
    Blocking."""
    from confluent_kafka import Consumer, TopicPartition

    from agents.streams import PER_MESSAGE_TOPICS
    from agora.kafka import faust_group

    out: dict[tuple[str, int], int] = {}
    for name, topics in ((group, [t for t in SOURCE_TOPICS if t not in PER_MESSAGE_TOPICS]),
                         (faust_group(group), list(PER_MESSAGE_TOPICS))):
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": name,
                             "enable.auto.commit": False})
        try:
            meta = consumer.list_topics(timeout=timeout_s)
            tps = [TopicPartition(t, p) for t in topics for p in meta.topics[t].partitions]
            out.update({(tp.topic, tp.partition): tp.offset
                        for tp in consumer.committed(tps, timeout=timeout_s) if tp.offset >= 0})
        finally:
            consumer.close()
    return out
