"""Trending features: the key layout the agents write and serving reads.

Counts live in 1-minute tumbling buckets; the trending score uses forward decay
(Cormode et al.): an event at time t adds w * 2**((t - ref) / half_life) to its item, where
ref is the start of an epoch. Ordering is then time-invariant, and a reader divides by
2**((now - ref) / half_life). Writers add each event to its epoch and the next, so a new
epoch starts with history. Epochs last 8 hours: with the default 15-minute half-life a score
grows by at most 2**32 within one, which every store holds exactly enough and far below the
2**63 the worker's number check allows (a half-life under 8 h / 60 = 480 s would pass it).
Hot posts (6-hour half-life) keep day-long epochs (`HOT_EPOCH_S`, features.community).
An event's decay time is clamped to the writer's clock (`decay_time`): one event dated ahead
would otherwise weigh 2**(ahead / half_life) events of now (12 h ahead: 2**48 with a
15-minute half-life) and pin its item at the top.
"""

from __future__ import annotations

import math
from enum import StrEnum

from features.keys import escape
from features.online import OnlineStore

MINUTE_S = 60
COUNTS_TTL_S = 2 * 3600.0
EPOCH_S = 8 * 3600.0
TRENDING_TTL_S = 2 * EPOCH_S + 3600.0


class Window(StrEnum):
    """`1m`/`5m`: counts over a sliding window of minute buckets; `1h`: decayed score."""

    one_minute = "1m"
    five_minutes = "5m"
    one_hour = "1h"


_WINDOW_MINUTES = {Window.one_minute: 1, Window.five_minutes: 5}


def minute_key(domain: str, minute: int) -> str:
    return f"counts:1m:{escape(domain)}:{minute}"


def trending_key(domain: str, epoch: int) -> str:
    return f"trending:{escape(domain)}:{epoch}"


def epoch_of(ts: float, epoch_s: float = EPOCH_S) -> int:
    return int(ts // epoch_s)


def decay_time(ts: float, now: float) -> float:
    """The time an event decays from: its own, but never later than the writer's clock."""
    return ts if ts <= now else now


def decay_factor(ts: float, epoch: int, half_life_s: float, epoch_s: float = EPOCH_S) -> float:
    return math.pow(2.0, (ts - epoch * epoch_s) / half_life_s)


def sliding_buckets(window_minutes: int, now: float) -> tuple[list[int], list[float]]:
    """Minute buckets covering the last `window_minutes`, the oldest weighted by overlap."""
    current = int(now // MINUTE_S)
    elapsed = (now - current * MINUTE_S) / MINUTE_S
    minutes = [current - i for i in range(window_minutes + 1)]
    weights = [1.0] * window_minutes + [1.0 - elapsed]
    return minutes, weights


async def read_trending(store: OnlineStore, *, domain: str, window: Window, k: int, now: float,
                        half_life_s: float) -> list[tuple[str, float]]:
    if window is Window.one_hour:
        epoch = epoch_of(now)
        norm = decay_factor(now, epoch, half_life_s)
        return [(item, score / norm)
                for item, score in await store.top(trending_key(domain, epoch), k)]
    minutes, weights = sliding_buckets(_WINDOW_MINUTES[window], now)
    return await store.top_union([minute_key(domain, m) for m in minutes], k, weights)


HOP_S = 300
HOPPING_TTL_S = 2 * 3600.0


def hop_key(domain: str, hop: int) -> str:
    """Item counts of one 5-minute hop: hopping 1-hour windows are 12 consecutive hops."""
    return f"counts:5m:{escape(domain)}:{hop}"


async def read_hopping(store: OnlineStore, *, domain: str, k: int,
                       now: float) -> list[tuple[str, float]]:
    """Top items of the last complete 1-hour window advancing every 5 minutes."""
    last_complete = int(now // HOP_S) - 1
    keys = [hop_key(domain, last_complete - i) for i in range(12)]
    return await store.top_union(keys, k)
