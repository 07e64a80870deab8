"""Where the dashboard's figures come from: one small interface, and the reader behind it.

`AnalyticsSource.overview(now)` returns the raw analytics of the stream agents; `normalize`
(serving.analytics.overview) turns it into the page's stable shape. Tests pass a fake.
"""

from __future__ import annotations

from typing import Any, Protocol

from contracts import Domain
from features.online import OnlineStore
from features.trending import minute_key, sliding_buckets

_MAX_ITEMS = 100_000


class AnalyticsSource(Protocol):
    async def overview(self, now: float) -> dict[str, Any]:
        """Every live figure at `now`, each with its previous-period value."""
        ...


class TrendingCountsAnalytics:
    """Interim reader over the walking skeleton's per-minute item counters.

    It knows only interactions per second by domain and the trending lists; every other
    figure is reported missing until the stream agents' `features.analytics` lands.
    """

    def __init__(self, *, store: OnlineStore, k: int = 5) -> None:
        self._store = store
        self._k = k

    async def _per_second(self, domain: str, now: float) -> float:
        minutes, weights = sliding_buckets(1, now)
        rows = await self._store.top_union([minute_key(domain, m) for m in minutes],
                                           _MAX_ITEMS, weights)
        return sum(score for _, score in rows) / 60.0

    async def overview(self, now: float) -> dict[str, Any]:
        rates: dict[str, dict[str, float]] = {}
        trending: dict[str, list[dict[str, Any]]] = {}
        for domain in Domain:
            rates[domain] = {"value": await self._per_second(domain, now),
                             "previous": await self._per_second(domain, now - 60.0)}
            minutes, weights = sliding_buckets(5, now)
            rows = await self._store.top_union([minute_key(domain, m) for m in minutes],
                                               self._k, weights)
            trending[domain] = [{"item_id": item, "score": score} for item, score in rows]
        return {"events_per_s": rates, "trending": trending}
