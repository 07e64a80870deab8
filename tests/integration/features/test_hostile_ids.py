"""Ids chosen to collide (`ack`, `*`, `:`, `{x}`, 128 characters, non-ASCII, ...) through every
context of the real pipeline, on Redis and on the embedded store: each value lands under its
own entity, no system key is touched, every key is a documented family with its TTL or cap,
and serving's readers find them."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from contracts.topics import Topic
from features import kpis as k
from features.analytics import read_overview
from features.community import MODERATION_QUEUE_KEY, hot_posts, moderation_queue
from features.inventory import (
    LOW_STOCK_ACK_KEY,
    acknowledge_low_stock,
    inventory_key,
    low_stock_alerts,
    on_hand,
)
from features.item_texts import item_text
from features.keys import OTHER
from features.online import OnlineStore
from features.podcasts import show_stats
from features.recommendations import VARIANTS, model_name
from features.trending import Window, read_trending
from features.users import profile_key, recent_interactions, session_state
from serving.recommend.signals import StoreSignals
from tests.integration.features.harness import Recording, Worker, event, records, stored_keys
from tests.unit.features.families import families, family_of, problems

IDS = ["ack", "*", ":", "{x}", "%", "%3A", "}{", "a:b", "a b", "|", "x" * 128,
       "ünï-cødé 商品", "\u200bzero", "queue", "lowstock", "total", "sold", "clear",
       "agora-recommender@7"]
SPAM = "FREE MONEY click here http://a.io www.b.io casino"


def commerce(x: str) -> list[dict[str, Any]]:
    who: dict[str, Any] = {"user_id": x, "session_id": x}
    return [event("product_viewed", product_id=x, category=x, price=1.0, **who),
            event("cart_item_added", product_id=x, quantity=1, unit_price=1.0, **who),
            event("order_placed", order_id=x, total=10.0, currency="EUR", **who,
                  lines=[{"product_id": x, "quantity": 2, "unit_price": 5.0}]),
            event("inventory_adjusted", product_id=x, delta=3, reason="restock", on_hand=3)]


def community(x: str) -> list[dict[str, Any]]:
    return [event("post_created", post_id=x, community_id=x, user_id=x, title=SPAM, body=x),
            event("comment_created", comment_id=x, post_id=x, body="nice", user_id=x),
            event("vote_cast", target_id=x, target_type="post", value=1, user_id=x),
            *[event("content_reported", target_id=x, target_type="post", reason="spam",
                    user_id=f"reporter-{i}") for i in range(3)]]


def podcast(x: str) -> list[dict[str, Any]]:
    return [event("episode_published", episode_id=x, show_id=x, title="Trail", user_id=x,
                  duration_s=100),
            event("episode_played", episode_id=x, show_id=x, position_s=95, duration_s=100,
                  user_id=x),
            event("show_subscribed", show_id=x, user_id=x)]


def identity(x: str) -> list[dict[str, Any]]:
    return [event("user_registered", user_id=x, country="DE", channel=x)]


def recommendation(x: str) -> list[dict[str, Any]]:
    return [event("recommendation_served", request_id=x, surface=x, items=[x], model=x,
                  variant=x, user_id=x),
            event("recommendation_clicked", request_id=x, item_id=x, user_id=x)]


BY_TOPIC = {Topic.commerce: commerce, Topic.community: community, Topic.podcast: podcast,
            Topic.identity: identity, Topic.recommendation: recommendation}


@pytest.fixture
async def fed(store: OnlineStore) -> tuple[Worker, Recording, list[dict[str, Any]]]:
    recording = Recording(store)
    worker = Worker(store=recording)
    sent: list[dict[str, Any]] = []
    for topic, make in BY_TOPIC.items():
        batch = [ev for x in IDS for ev in make(x)]
        sent += batch
        await worker.process(topic, records(topic, batch))
    return worker, recording, sent


async def test_commerce_values_land_under_each_product(
        store: OnlineStore, fed: tuple[Worker, Recording, list[dict[str, Any]]]) -> None:
    worker, _, _ = fed
    assert worker.dead.sent == []
    for x in IDS:
        assert await on_hand(store, x) == 3
        assert (await store.get_fields(inventory_key(x)))["sold"] == "2"
    alerts = await low_stock_alerts(store, 1000)
    assert sorted(a.product_id for a in alerts) == sorted(IDS)
    assert all(a.on_hand == 3 and not a.acknowledged for a in alerts)
    messages = [m for _, m in worker.alerts.sent]
    assert sorted(m["alert_id"] for m in messages) == sorted(f"{x}:0" for x in IDS)
    await acknowledge_low_stock(store, "ack", time.time())
    assert {a.product_id for a in await low_stock_alerts(store, 1000) if a.acknowledged} == {
        "ack"}
    assert [m for m, _ in await store.top(LOW_STOCK_ACK_KEY, 10)] == ["ack"]
    totals = await store.get_fields(k.TOTALS_KEY)
    assert float(totals[k.ORDERS]) == len(IDS)
    assert float(totals[k.GMV_CENTS]) == 1000 * len(IDS)


async def test_community_values_and_flags_land_under_each_target(
        store: OnlineStore, fed: tuple[Worker, Recording, list[dict[str, Any]]]) -> None:
    worker, _, _ = fed
    queue = await moderation_queue(store, 1000)
    assert sorted((f.target_id, f.reason) for f in queue) == sorted(
        [(f"post:{x}", "text_score") for x in IDS] + [(x, "reported") for x in IDS])
    assert sorted(m["flag_id"] for _, m in worker.flags.sent) == sorted(
        [f"text:post:{x}" for x in IDS] + [f"reports:{x}" for x in IDS])
    hot = dict(await hot_posts(store, k=1000, now=time.time(), half_life_s=6 * 3600.0))
    assert set(hot) == set(IDS) and all(v == pytest.approx(1.0, rel=1e-3) for v in hot.values())
    minute = int(datetime.now(UTC).timestamp() // 60)
    per_community: Counter[str] = Counter()
    for m in (minute - 1, minute):
        for name, value in (await store.get_fields(k.community_key(m))).items():
            per_community[name] += int(float(value))
    for x in IDS:
        assert per_community[k.community_field(x, k.POSTS)] == 1
        assert per_community[k.community_field(x, k.COMMENTS)] == 1
        assert per_community[k.community_field(x, k.VOTES)] == 1
        assert await item_text(store, f"post:{x}") is not None


async def test_podcast_identity_and_user_values_land_under_each_id(
        store: OnlineStore, fed: tuple[Worker, Recording, list[dict[str, Any]]]) -> None:
    _, _, sent = fed
    events_per_user = Counter(ev["user_id"] for ev in sent if ev.get("user_id"))
    for x in IDS:
        stats = await show_stats(store, x)
        assert (stats.plays, stats.subscribers, stats.listen_through_rate) == (1, 1, 1.0)
        assert await item_text(store, f"episode:{x}") is not None
        assert (await store.get_fields(profile_key(x)))["channel"] == x
        session = await session_state(store, x)
        assert session is not None and session.events == events_per_user[x]
        recent = {r.item_id for r in await recent_interactions(store, x, ["commerce",
                                                                            "community",
                                                                            "podcast"])}
        assert recent == {f"product:{x}", f"post:{x}", f"episode:{x}", f"show:{x}"}


async def test_serving_reads_see_every_id(
        store: OnlineStore, fed: tuple[Worker, Recording, list[dict[str, Any]]]) -> None:
    worker, _, _ = fed
    now = time.time()
    for domain, kind in (("commerce", "product"), ("podcast", "episode")):
        for window in (Window.one_minute, Window.one_hour):
            top = await read_trending(store, domain=domain, window=window, k=1000, now=now,
                                      half_life_s=900.0)
            assert {item for item, _ in top} >= {f"{kind}:{x}" for x in IDS}
    await worker.process(Topic.commerce, records(Topic.commerce, [
        event("inventory_adjusted", product_id="ack", delta=-3, reason="sale", on_hand=0)]))
    signals = StoreSignals(store=store)
    assert await signals.out_of_stock([f"product:{x}" for x in IDS]) == {"product:ack"}
    overview = await read_overview(store, now)
    assert overview["low_stock"]["count"] == len(IDS)
    assert overview["moderation_queue"]["size"] == 2 * len(IDS)
    ctr = overview["ctr"]
    assert sum(row["served"]["value"] for row in ctr) == len(IDS)
    assert sum(row["clicks"]["value"] for row in ctr) == len(IDS)
    for row in ctr:
        assert row["variant"] in VARIANTS | {OTHER}
        assert row["model"] == OTHER or model_name(row["model"]) == row["model"]
    assert {row["model"] for row in ctr} >= {"agora-recommender@7", OTHER}


async def test_every_key_is_a_documented_family_with_its_lifetime(
        store: OnlineStore, fed: tuple[Worker, Recording, list[dict[str, Any]]]) -> None:
    _, recording, _ = fed
    table = families()
    nested = [*recording.writes, *(i for w in recording.writes for i in getattr(w, "writes", ()))]
    kinds = {type(w).__name__ for w in nested}
    assert kinds >= {"Once", "Take", "SetScores", "PushRecent", "AddDistinct", "IncrScores"}
    assert problems(recording.writes, table) == []
    keys = await stored_keys(store)
    assert {key for key in keys if family_of(key, table) is None} == set()
    totals = set(await store.get_fields(k.TOTALS_KEY))
    assert all(f.startswith("events|") or f.isidentifier() for f in totals), totals
    assert await store.top(MODERATION_QUEUE_KEY, 1)  # still a scored set
