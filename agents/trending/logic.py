"""Per-item counts in 1-minute tumbling windows and a time-decayed trending score.

Pure functions: they turn a batch of valid events into store writes. Every write is an
increment, so workers that own different partitions can share the same keys. The key
layout and the decay are declared in `features.trending`.
"""


from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from contracts import Domain, item_domain, item_of
from features.online import IncrScores, WriteBatch
from features.trending import (
    COUNTS_TTL_S,
    HOP_S,
    HOPPING_TTL_S,
    MINUTE_S,
    TRENDING_TTL_S,
    decay_factor,
    decay_time,
    epoch_of,
    hop_key,
    minute_key,
    trending_key,
)

# How much an interaction says about interest in the item (counts are unweighted).
INTERACTION_WEIGHTS: dict[str, float] = {
    "product_viewed": 1.0,
    "cart_item_added": 3.0,
    "review_posted": 2.0,
    "post_created": 1.0,
    "comment_created": 2.0,
    "vote_cast": 1.0,
    "community_joined": 2.0,
    "episode_published": 1.0,
    "episode_played": 1.0,
    "show_subscribed": 3.0,
}


@dataclass(frozen=True, slots=True)
class Interaction:
    item_id: str
    domain: Domain
    ts: float
    weight: float


def interactions(events: Iterable[object]) -> list[Interaction]:
    """The item interactions among a batch of validated events."""
    out = []
    for event in events:
        weight = INTERACTION_WEIGHTS.get(event.event_type)  # type: ignore[attr-defined]
        if weight is None:
            continue
        item = item_of(event)
        domain = item_domain(item) if item else None
        if item is None or domain is None:
            continue
        out.append(Interaction(item, domain, event.occurred_at.timestamp(), weight))  # type: ignore[attr-defined]
    return out


def trending_writes(batch: Iterable[Interaction], *, half_life_s: float,
                    now: float | None = None) -> WriteBatch:
    """Aggregate a batch in memory first: one increment per (key, item), not per event.

    `now` (the worker's clock, by default the wall clock) bounds each event's decay time, so
    no event outweighs one happening now, whatever time it claims."""
    now = time.time() if now is None else now
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    scores: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hops: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for it in batch:
        counts[minute_key(it.domain, int(it.ts // MINUTE_S))][it.item_id] += 1.0
        hops[hop_key(it.domain, int(it.ts // HOP_S))][it.item_id] += 1.0
        ts = decay_time(it.ts, now)
        epoch = epoch_of(ts)
        for e in (epoch, epoch + 1):
            scores[trending_key(it.domain, e)][it.item_id] += it.weight * decay_factor(
                ts, e, half_life_s)
    out = WriteBatch()
    for key, deltas in counts.items():
        out.add(IncrScores(key=key, deltas=dict(deltas), ttl_s=COUNTS_TTL_S))
    for key, deltas in hops.items():
        out.add(IncrScores(key=key, deltas=dict(deltas), ttl_s=HOPPING_TTL_S))
    for key, deltas in scores.items():
        out.add(IncrScores(key=key, deltas=dict(deltas), ttl_s=TRENDING_TTL_S))
    return out
