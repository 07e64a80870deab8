"""The recommendation context on synthetic click streams of known CTR, through a real
embedded store: the A/B test's arms, clicked lists counted once, what each user was served."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from agents.recommendation.context import RecommendationContext
from contracts import parse_event
from features.online import OnlineStore, WriteBatch, open_store
from features.recommendations import arm_counts, hour_of, recently_served
from serving.recommend.experiments import ArmCounts, decide

START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def event(event_type: str, at: datetime, user: str, **fields: Any) -> Any:
    return parse_event({"event_id": str(uuid.uuid4()), "event_type": event_type,
                        "occurred_at": at.isoformat(), "user_id": user, "session_id": "s",
                        **fields})


def click_stream(ctr: dict[str, float], lists: int, seed: int) -> list[Any]:
    """Each arm serves `lists` lists of 10 items over two hours; a list is clicked with its
    arm's CTR, and a clicked list gets one to three clicks."""
    rng = np.random.default_rng(seed)
    out = []
    for n in range(lists):
        at = START + timedelta(seconds=7200 * n / lists)
        for variant, model in (("champion", "agora-recommender@1"),
                               ("challenger", "agora-recommender@2")):
            rid = f"{variant}-{n}"
            items = [f"product:p{rng.integers(500)}" for _ in range(10)]
            out.append(event("recommendation_served", at, f"u{n % 300}", request_id=rid,
                             surface="home", items=items, model=model, variant=variant))
            if rng.random() < ctr[variant]:
                out += [event("recommendation_clicked", at + timedelta(seconds=5), "u",
                              request_id=rid, item_id=items[0])
                        for _ in range(int(rng.integers(1, 4)))]
    return out


async def consume(store: OnlineStore, events: list[Any], batch_size: int = 500) -> None:
    context = RecommendationContext()
    for i in range(0, len(events), batch_size):
        chunk = events[i:i + batch_size]
        await context.prepare(chunk, store)
        batch = WriteBatch()
        context.writes(chunk, batch)
        await store.apply(batch)


def arms_of(counts: dict[int, Any], variant: str, model: str) -> ArmCounts:
    rows = [arms[(model, variant)] for arms in counts.values() if (model, variant) in arms]
    return ArmCounts(served=int(sum(r["served"] for r in rows)),
                     clicked=int(sum(r["clicked"] for r in rows)))


def test_arms_count_lists_and_clicked_lists_and_decide(tmp_path: Path) -> None:
    async def run() -> None:
        store = open_store(str(tmp_path / "online.db"))
        events = click_stream({"champion": 0.10, "challenger": 0.14}, 6000, seed=3)
        await consume(store, events)
        await consume(store, events[:2000])  # a redelivery: clicked lists are claimed once
        hours = [hour_of(START.timestamp()) + h for h in range(3)]
        counts = await arm_counts(store, hours)
        champion = arms_of(counts, "champion", "agora-recommender@1")
        challenger = arms_of(counts, "challenger", "agora-recommender@2")
        clicked = {v: len({e.request_id for e in events
                           if e.event_type == "recommendation_clicked"
                           and e.request_id.startswith(v)}) for v in ("champion", "challenger")}
        assert champion.clicked == clicked["champion"]
        assert challenger.clicked == clicked["challenger"]
        assert 0.09 < champion.clicked / 6000 < 0.11 and 0.13 < challenger.clicked / 6000 < 0.15
        # served lists are at-least-once counters: the redelivered part counts twice
        assert champion.served >= 6000
        clicks = sum(r[("agora-recommender@1", "champion")]["clicks"] for r in counts.values()
                     if ("agora-recommender@1", "champion") in r)
        assert clicks > champion.clicked  # several clicks of one list are one trial
        fresh = ArmCounts(served=6000, clicked=champion.clicked)
        assert decide(fresh, ArmCounts(served=6000, clicked=challenger.clicked)).status == "won"
        await store.close()

    asyncio.run(run())


def test_equal_arms_through_the_store_do_not_decide(tmp_path: Path) -> None:
    async def run() -> None:
        store = open_store(str(tmp_path / "online.db"))
        await consume(store, click_stream({"champion": 0.1, "challenger": 0.1}, 6000, seed=4))
        counts = await arm_counts(store, [hour_of(START.timestamp()) + h for h in range(3)])
        champion = arms_of(counts, "champion", "agora-recommender@1")
        challenger = arms_of(counts, "challenger", "agora-recommender@2")
        assert champion.served == challenger.served == 6000
        assert decide(champion, challenger).status == "running"
        await store.close()

    asyncio.run(run())


def test_each_user_keeps_what_was_served_recently(tmp_path: Path) -> None:
    async def run() -> None:
        store = open_store(str(tmp_path / "online.db"))
        old = event("recommendation_served", START, "alice", request_id="r1", surface="home",
                    items=["product:a", "product:b"], model="m@1", variant="champion")
        new = event("recommendation_served", START + timedelta(hours=2), "alice",
                    request_id="r2", surface="home", items=["product:c"], model="m@1",
                    variant="champion")
        await consume(store, [old, new])
        since = START.timestamp() + 3600
        assert await recently_served(store, "alice", since=since) == {"product:c"}
        assert await recently_served(store, "alice", since=0) == {
            "product:a", "product:b", "product:c"}
        assert await recently_served(store, "bob", since=0) == frozenset()
        await store.close()

    asyncio.run(run())
