"""The simulator: reproducible, valid, funnel-shaped, with malformed events at the asked rate."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import orjson

from contracts import EventError, parse_event
from launch.simulator.traffic import Traffic

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def draw(n: int, **kw) -> list:
    traffic = Traffic(**kw)
    return [traffic.next(NOW) for _ in range(n)]


def test_same_seed_same_traffic() -> None:
    assert draw(2000, seed=7) == draw(2000, seed=7)
    assert draw(200, seed=7) != draw(200, seed=8)


def test_every_generated_event_honours_its_contract() -> None:
    types: Counter[str] = Counter()
    for event in draw(20_000, seed=1):
        types[parse_event(orjson.dumps(event)).event_type] += 1
    for expected in ("product_viewed", "cart_item_added", "checkout_started", "order_placed",
                     "payment_succeeded", "post_created", "comment_created", "vote_cast",
                     "episode_played", "user_registered"):
        assert types[expected] > 0, expected
    # The funnel narrows at every step.
    assert (types["product_viewed"] > types["cart_item_added"] > types["checkout_started"]
            > types["order_placed"])


def test_popularity_is_heavy_tailed() -> None:
    views = Counter(e["product_id"] for e in draw(20_000, seed=3)
                    if e["event_type"] == "product_viewed")
    top = sum(c for _, c in views.most_common(20))
    assert top / sum(views.values()) > 0.3  # 1% of the catalogue gets a big share


def test_plays_are_partial_and_complete() -> None:
    plays = [e for e in draw(20_000, seed=4) if e["event_type"] == "episode_played"]
    complete = sum(e["position_s"] >= e["duration_s"] for e in plays)
    assert 0 < complete < len(plays)


def test_malformed_events_at_the_asked_rate() -> None:
    events = draw(20_000, seed=5, bad_rate=0.05)
    bad = 0
    for e in events:
        try:
            parse_event(e if isinstance(e, bytes) else orjson.dumps(e))
        except EventError:
            bad += 1
    assert 0.04 < bad / len(events) < 0.06
