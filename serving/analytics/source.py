"""Where the dashboard's figures come from: one small interface, and the reader behind it.

`AnalyticsSource.overview(now)` returns the stream agents' raw analytics
(`features.analytics.read_overview`, plus trending per domain); `normalize`
(serving.analytics.overview) turns it into the page's stable shape. Tests pass a fake.
"""

from __future__ import annotations

from typing import Any, Protocol

from contracts import Domain
from features.analytics import read_overview
from features.inventory import acknowledge_low_stock
from features.online import OnlineStore
from features.trending import Window, read_trending


class AnalyticsSource(Protocol):
    async def overview(self, now: float) -> dict[str, Any]:
        """Every live figure at `now`, each with its previous-period value."""
        ...

    async def acknowledge_low_stock(self, product_id: str, now: float) -> None:
        """Ops saw the product's low-stock alert (it stays open until a restock)."""
        ...


class StoreAnalytics:
    """The stream agents' counters in the online store."""

    def __init__(self, *, store: OnlineStore, half_life_s: float, k: int = 5) -> None:
        self._store = store
        self._half_life_s = half_life_s
        self._k = k

    async def overview(self, now: float) -> dict[str, Any]:
        raw = await read_overview(self._store, now)
        raw["trending"] = {
            domain.value: [
                {"item_id": item, "score": score}
                for item, score in await read_trending(
                    self._store,
                    domain=domain,
                    window=Window.one_hour,
                    k=self._k,
                    now=now,
                    half_life_s=self._half_life_s,
                )
            ]
            for domain in Domain
        }
        return raw

    async def acknowledge_low_stock(self, product_id: str, now: float) -> None:
        await acknowledge_low_stock(self._store, product_id, now)
