"""Trending logic without a broker: batches of events in, store writes out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.trending.logic import interactions, trending_writes
from contracts import parse_event
from features.online import IncrScores, open_store
from features.trending import (
    EPOCH_S,
    Window,
    epoch_of,
    minute_key,
    read_trending,
    sliding_buckets,
    trending_key,
)

T0 = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)


def viewed(product: str, at: datetime) -> object:
    return parse_event(orjson.dumps({
        "event_id": str(uuid.uuid4()), "event_type": "product_viewed",
        "occurred_at": at.isoformat(), "user_id": "u1", "product_id": product,
        "category": "home", "price": 1.0}))


def played(episode: str, at: datetime) -> object:
    return parse_event(orjson.dumps({
        "event_id": str(uuid.uuid4()), "event_type": "episode_played",
        "occurred_at": at.isoformat(), "user_id": "u1", "episode_id": episode, "show_id": "s1",
        "position_s": 10, "duration_s": 100}))


def test_counts_land_in_their_minute_and_domain() -> None:
    batch = trending_writes(interactions([
        viewed("A", T0), viewed("A", T0), viewed("B", T0 + timedelta(seconds=40)),
        played("e1", T0),
    ]), half_life_s=900)
    counts = {w.key: dict(w.deltas) for w in batch.writes
              if isinstance(w, IncrScores) and w.key.startswith("counts:")}
    minute = int(T0.timestamp() // 60)
    assert counts[minute_key("commerce", minute)] == {"product:A": 2.0}
    assert counts[minute_key("commerce", minute + 1)] == {"product:B": 1.0}
    assert counts[minute_key("podcast", minute)] == {"episode:e1": 1.0}


def test_one_increment_per_key_and_item() -> None:
    batch = trending_writes(interactions([viewed("A", T0)] * 50), half_life_s=900)
    assert all(isinstance(w, IncrScores) and len(w.deltas) == 1 for w in batch.writes)
    assert len(batch) == 4  # the minute bucket, the 5-minute hop, this epoch and the next


def test_events_without_an_item_are_ignored() -> None:
    search = parse_event(orjson.dumps({
        "event_id": str(uuid.uuid4()), "event_type": "product_searched",
        "occurred_at": T0.isoformat(), "query": "mug", "results": 3}))
    assert interactions([search]) == []


async def test_decayed_score_halves_every_half_life(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    await store.apply(trending_writes(interactions([viewed("A", T0)] * 8), half_life_s=600))
    now = T0.timestamp()
    fresh = await read_trending(store, domain="commerce", window=Window.one_hour, k=5, now=now,
                                half_life_s=600)
    later = await read_trending(store, domain="commerce", window=Window.one_hour, k=5,
                                now=now + 1200, half_life_s=600)
    assert fresh[0][0] == "product:A"
    assert fresh[0][1] == pytest.approx(8.0)
    assert later[0][1] == pytest.approx(2.0)


async def test_ranking_survives_the_epoch_boundary(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    boundary = (epoch_of(T0.timestamp()) + 1) * EPOCH_S
    before = datetime.fromtimestamp(boundary - 60, UTC)
    await store.apply(trending_writes(interactions(
        [viewed("A", before)] * 3 + [viewed("B", before)]), half_life_s=900))
    rows = await read_trending(store, domain="commerce", window=Window.one_hour, k=5,
                               now=boundary + 60, half_life_s=900)
    assert [item for item, _ in rows] == ["product:A", "product:B"]
    assert await store.top(trending_key("commerce", epoch_of(boundary)), 5)


async def test_sliding_window_counts(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    start = T0.replace(second=0)
    await store.apply(trending_writes(interactions(
        [viewed("old", start - timedelta(minutes=10))] * 5
        + [viewed("A", start - timedelta(minutes=1))] * 2
        + [viewed("B", start)] * 3), half_life_s=900))
    now = start.timestamp() + 30
    one = await read_trending(store, domain="commerce", window=Window.one_minute, k=5, now=now,
                              half_life_s=900)
    assert dict(one) == {"product:B": 3.0, "product:A": 1.0}  # previous minute half-covered
    five = await read_trending(store, domain="commerce", window=Window.five_minutes, k=5,
                               now=now, half_life_s=900)
    assert dict(five) == {"product:B": 3.0, "product:A": 2.0}


def test_sliding_buckets_weights() -> None:
    minutes, weights = sliding_buckets(5, 600.0 + 15)
    assert minutes == [10, 9, 8, 7, 6, 5]
    assert weights == [1.0] * 5 + [0.75]


async def test_an_event_dated_ahead_cannot_top_the_decayed_ranking(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    now = T0.timestamp()
    ahead = T0 + timedelta(hours=12)  # 2**48 events' worth of weight, unclamped
    await store.apply(trending_writes(interactions(
        [viewed("A", T0)] * 2 + [viewed("B", T0 - timedelta(minutes=5))] * 2
        + [viewed("ahead", ahead)]), half_life_s=900, now=now))
    rows = await read_trending(store, domain="commerce", window=Window.one_hour, k=5, now=now,
                               half_life_s=900)
    assert [item for item, _ in rows] == ["product:A", "product:B", "product:ahead"]
    assert dict(rows)["product:ahead"] == pytest.approx(1.0)  # as one view now, no more
    later = await read_trending(store, domain="commerce", window=Window.one_hour, k=5,
                                now=ahead.timestamp(), half_life_s=900)
    assert all(score < 1e-6 for _, score in later)  # and it decays from now, like the rest


@given(ahead_s=st.floats(min_value=0, max_value=10 * 86_400),
       into_epoch_s=st.floats(min_value=0, max_value=EPOCH_S - 1))
@settings(max_examples=200, deadline=None)
def test_no_event_outweighs_one_happening_now(ahead_s: float, into_epoch_s: float) -> None:
    now = round(epoch_of(T0.timestamp()) * EPOCH_S + into_epoch_s)  # whole seconds: exact dates
    at = datetime.fromtimestamp(now + ahead_s, UTC)
    weights = [{k: dict(w.deltas) for w in trending_writes(
        interactions([viewed("A", when)]), half_life_s=900, now=now).writes
        if isinstance(w, IncrScores) and (k := w.key).startswith("trending:")}
        for when in (at, datetime.fromtimestamp(now, UTC))]
    assert weights[0] == weights[1]
    assert max(v for d in weights[0].values() for v in d.values()) < 2.0 ** 33


def test_trending_counts_interest_only() -> None:
    def ev(event_type: str, **fields: object) -> object:
        return parse_event({"event_id": str(uuid.uuid4()), "event_type": event_type,
                            "occurred_at": T0.isoformat(), "user_id": "u1", **fields})

    found = interactions([
        ev("vote_cast", target_id="p1", target_type="post", value=-1),
        ev("vote_cast", target_id="p2", target_type="post", value=1),
        ev("cart_item_removed", product_id="A", quantity=1, unit_price=1.0),
        ev("order_placed", order_id="o1", total=1.0, currency="EUR",
           lines=[{"product_id": "B", "quantity": 1, "unit_price": 1.0}])])
    assert [(i.item_id, i.weight) for i in found] == [("post:p2", 1.5), ("product:B", 5.0)]
