"""Once-only alerts and flags: the claim commits with its effects and its pending message, and
a worker that dies anywhere before the message is settled sends it again on redelivery,
counted once. On Redis and on the embedded store, through the real pipeline."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from contracts.topics import Topic
from features import kpis as k
from features.buckets import minute_of
from features.community import flag_outbox_key, moderation_queue
from features.inventory import inventory_key, low_stock_alerts, lowstock_outbox_key, on_hand
from features.keys import hash_tag
from features.online import OnlineStore, StoreUnavailable, Take, WriteBatch
from tests.integration.features.harness import (
    Killed,
    Recording,
    Sink,
    Worker,
    event,
    records,
)

PRODUCT = "ack"  # also the name of a system key's last segment


class DiesAtSettle(Recording):
    """The store, with the worker dying just before its first settlement reaches it."""

    async def apply(self, batch: WriteBatch) -> None:
        if any(isinstance(w, Take) for w in batch.writes):
            raise Killed
        await super().apply(batch)


class FlakyReads(Recording):
    """The store, unavailable for the first `n` reads."""

    def __init__(self, store: OnlineStore, n: int) -> None:
        super().__init__(store)
        self.n = n

    async def get_many(self, keys: Any) -> list[dict[str, str]]:
        if self.n:
            self.n -= 1
            raise StoreUnavailable("connection reset")
        return await self.store.get_many(keys)


def restock(delta: int, product: str = PRODUCT) -> list[Any]:
    return records(Topic.commerce, [event("inventory_adjusted", product_id=product,
                                          delta=delta, reason="restock", on_hand=max(delta, 0))])


async def alerts_counted(store: OnlineStore) -> float:
    now = time.time()
    rows = await store.get_many([k.stats_key(minute_of(now) + d) for d in (-1, 0, 1)])
    return sum(float(r.get(k.LOW_STOCK_ALERTS, 0)) for r in rows)


async def test_a_worker_dying_before_the_send_leaves_the_alert_pending(
        store: OnlineStore) -> None:
    batch = restock(3)
    first = Worker(store=store, alerts=Sink(crash=1))
    with pytest.raises(Killed):
        await first.process(Topic.commerce, batch)
    assert (await store.get_fields(inventory_key(PRODUCT)))["low"] == "1"  # the claim's effect
    assert len(await store.get_fields(lowstock_outbox_key(PRODUCT))) == 1  # and its message
    assert await low_stock_alerts(store) == [] and await alerts_counted(store) == 0
    again = Worker(store=store)  # the restarted worker gets the uncommitted batch again
    await again.process(Topic.commerce, batch)
    assert [(key, m["alert_id"], m["status"]) for key, m in again.alerts.sent] == [
        (PRODUCT.encode(), f"{PRODUCT}:0", "open")]
    assert await store.get_fields(lowstock_outbox_key(PRODUCT)) == {}
    assert [a.product_id for a in await low_stock_alerts(store)] == [PRODUCT]
    assert await alerts_counted(store) == 1 and await on_hand(store, PRODUCT) == 3
    third = Worker(store=store)
    await third.process(Topic.commerce, batch)
    assert third.alerts.sent == [] and await alerts_counted(store) == 1


async def test_a_worker_dying_after_the_send_sends_again_and_counts_once(
        store: OnlineStore) -> None:
    batch = restock(2)
    first = Worker(store=DiesAtSettle(store))
    with pytest.raises(Killed):
        await first.process(Topic.commerce, batch)
    again = Worker(store=store)
    await again.process(Topic.commerce, batch)
    ids = [m["alert_id"] for _, m in first.alerts.sent + again.alerts.sent]
    assert ids == [f"{PRODUCT}:0", f"{PRODUCT}:0"]  # at-least-once, one id to dedupe by
    assert await alerts_counted(store) == 1
    assert [a.product_id for a in await low_stock_alerts(store)] == [PRODUCT]


async def test_a_restock_clears_the_alert_and_the_next_crossing_is_a_new_one(
        store: OnlineStore) -> None:
    worker = Worker(store=store)
    for delta in (3, 10, -12):  # low, cleared, low again
        await worker.process(Topic.commerce, restock(delta))
    assert [(m["alert_id"], m["status"]) for _, m in worker.alerts.sent] == [
        (f"{PRODUCT}:0", "open"), (f"{PRODUCT}:0", "cleared"), (f"{PRODUCT}:1", "open")]
    alerts = await low_stock_alerts(store)
    assert [(a.product_id, a.on_hand) for a in alerts] == [(PRODUCT, 1)]
    assert await alerts_counted(store) == 2


async def test_a_broker_down_during_the_send_delays_the_alert_and_loses_nothing(
        store: OnlineStore) -> None:
    worker = Worker(store=store, alerts=Sink(fail=2))
    await worker.process(Topic.commerce, restock(1))
    assert [m["alert_id"] for _, m in worker.alerts.sent] == [f"{PRODUCT}:0"]
    assert await alerts_counted(store) == 1


async def test_a_store_outage_during_the_checks_is_waited_out(store: OnlineStore) -> None:
    worker = Worker(store=FlakyReads(store, 2))
    await worker.process(Topic.commerce, restock(1))
    assert [m["alert_id"] for _, m in worker.alerts.sent] == [f"{PRODUCT}:0"]


async def test_two_workers_given_the_same_batch_alert_once(store: OnlineStore) -> None:
    batch = restock(1)
    a, b = Worker(store=store), Worker(store=store)
    await a.process(Topic.commerce, batch)
    await b.process(Topic.commerce, batch)
    assert len(a.alerts.sent) + len(b.alerts.sent) == 1


async def test_a_flag_survives_a_worker_dying_before_its_send(store: OnlineStore) -> None:
    target = "{x}"
    batch = records(Topic.community, [
        event("content_reported", target_id=target, target_type="post", reason="spam",
              user_id=f"r{i}") for i in range(3)])
    first = Worker(store=store, flags=Sink(crash=1))
    with pytest.raises(Killed):
        await first.process(Topic.community, batch)
    assert len(await store.get_fields(flag_outbox_key(target))) == 1
    assert await moderation_queue(store) == []
    again = Worker(store=store)
    await again.process(Topic.community, batch)
    assert [m["flag_id"] for _, m in again.flags.sent] == [f"reports:{target}"]
    assert [f.target_id for f in await moderation_queue(store)] == [target]
    assert await store.get_fields(flag_outbox_key(target)) == {}


async def test_every_claim_shares_its_entity_hash_tag_with_its_effects(
        store: OnlineStore) -> None:
    recording = Recording(store)
    worker = Worker(store=recording)
    await worker.process(Topic.commerce, restock(1, "a:b{c}"))
    await worker.process(Topic.commerce, restock(10, "a:b{c}"))
    await worker.process(Topic.community, records(Topic.community, [
        event("post_created", post_id="p:1", community_id="c", user_id="u",
              title="FREE MONEY click here casino http://a.io")]))
    claims = [w for w in recording.writes
              if type(w).__name__ == "Once" and not _is_event_id(w.token)]
    assert len(claims) == 3
    for claim in claims:
        tags = {hash_tag("once:" + claim.token), *(hash_tag(w.key) for w in claim.writes)}
        assert len(tags) == 1, claim


def _is_event_id(token: str) -> bool:
    try:
        uuid.UUID(token)
        return True
    except ValueError:
        return False
