"""Time buckets shared by the writers (agents) and the readers (serving).

Counters live in 1-minute buckets keyed by event time; distinct counts of active users also
in 10-second slots, so "the last minute" is sharp. A window ending at `now` sums whole
buckets plus the overlapping share of the oldest one (as the trending reader does).
"""

from __future__ import annotations

MINUTE_S = 60
SLOT_S = 10
HOUR_S = 3600
DAY_S = 86_400


def minute_of(ts: float) -> int:
    return int(ts // MINUTE_S)


def slot_of(ts: float) -> int:
    return int(ts // SLOT_S)


def day_of(ts: float) -> int:
    return int(ts // DAY_S)


def window_weights(end: float, minutes: int, *, live: bool = True) -> dict[int, float]:
    """Minute buckets covering (end - minutes*60, end], each with its share in the window.

    `live`: `end` is now, so the newest bucket holds only events up to `end` and counts
    whole. For a window that ended in the past its newest bucket also holds later events:
    it counts by its overlap, like the oldest one.
    """
    current = minute_of(end)
    elapsed = (end - current * MINUTE_S) / MINUTE_S
    weights = {current - i: 1.0 for i in range(minutes)}
    if not live:
        weights[current] = elapsed
    weights[current - minutes] = 1.0 - elapsed
    return weights


def slot_range(end: float, slots: int) -> list[int]:
    """The `slots` 10-second slots ending with the one holding `end` (the newest partial)."""
    current = slot_of(end)
    return [current - i for i in range(slots)]


def minute_range(end: float, minutes: int) -> list[int]:
    current = minute_of(end)
    return [current - i for i in range(minutes)]
