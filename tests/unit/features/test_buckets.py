"""Sliding windows over minute buckets: at a steady rate, now and before agree."""

from __future__ import annotations

import pytest

from features.buckets import MINUTE_S, minute_of, window_weights


def steady_counts(rate_per_s: float, now: float) -> dict[int, float]:
    """Bucket counts of a steady stream up to `now` (the current bucket is partly filled)."""
    current = minute_of(now)
    counts = {m: rate_per_s * MINUTE_S for m in range(current - 40, current)}
    counts[current] = rate_per_s * (now - current * MINUTE_S)
    return counts


@pytest.mark.parametrize("into_minute_s", [0.5, 15.0, 30.0, 59.5])
@pytest.mark.parametrize("minutes", [1, 15])
def test_a_steady_rate_reads_the_same_now_and_one_window_before(into_minute_s: float,
                                                                 minutes: int) -> None:
    now = 1_000 * MINUTE_S + into_minute_s
    counts = steady_counts(2.0, now)
    span = minutes * MINUTE_S

    def total(end: float) -> float:
        weights = window_weights(end, minutes, live=end >= now)
        return sum(counts.get(m, 0.0) * w for m, w in weights.items())

    assert total(now) == pytest.approx(2.0 * span)
    assert total(now - span) == pytest.approx(2.0 * span)
