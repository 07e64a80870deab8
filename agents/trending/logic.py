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
from typing import Any

from contracts import Domain
from contracts.registry import EVENTS, Registry
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


@dataclass(frozen=True, slots=True)
class Interaction:
    item_id: str
    domain: Domain
    ts: float
    weight: float


def interactions(events: Iterable[Any], *, registry: Registry = EVENTS) -> list[Interaction]:
    """The item interactions among a batch of validated events, weighted as declared
    (`Interaction`, contracts/declaration.py: the training set's meaning).

    Trending measures interest, so an interaction of weight 0 or less (a downvote, a cart
    removal, an unsubscription) is ignored here, neither counted nor subtracted: a score
    never drops below 0 and the live history keeps the signed weight."""
    touch = registry.touch
    out = []
    for event in events:
        touches = touch.get(event.event_type)
        if touches is None:
            continue
        ts = event.occurred_at.timestamp()
        for item, domain, weight in touches(event):
            if weight > 0:
                out.append(Interaction(item, domain, ts, weight))
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
