"""The overview the API serves: the reader's figures, normalized, plus lag and models.

One instance per app; its result is shared for `cache_s`, so every open dashboard costs the
store one read per push interval, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from features.online import StoreUnavailable
from serving.analytics.overview import normalize
from serving.analytics.source import AnalyticsSource


class LagSource(Protocol):
    async def read(self) -> Any: ...


class LiveAnalytics:
    def __init__(
        self,
        *,
        source: AnalyticsSource,
        lag: LagSource | None,
        models: Callable[[], list[dict[str, Any]] | None] = lambda: None,
        cache_s: float = 0.5,
    ) -> None:
        self._source = source
        self._lag = lag
        self._models = models
        self._cache_s = cache_s
        self._cached: dict[str, Any] | None = None
        self._cached_at = -float("inf")
        self._lock = asyncio.Lock()

    async def overview(self, now: float | None = None) -> dict[str, Any]:
        async with self._lock:
            if now is None and time.monotonic() - self._cached_at < self._cache_s:
                assert self._cached is not None
                return self._cached
            result = await self._build(time.time() if now is None else now)
            if now is None:
                self._cached, self._cached_at = result, time.monotonic()
            return result

    async def _build(self, now: float) -> dict[str, Any]:
        try:
            raw = await self._source.overview(now)
            error = None
        except StoreUnavailable as exc:
            raw, error = {}, f"online store unavailable: {exc}"
        out = normalize(raw, now=now)
        out["error"] = error
        reading = await self._lag.read() if self._lag is not None else None
        out["consumer_lag"] = reading.as_json() if reading is not None else None
        out["models_in_service"] = self._models()
        for name in ("consumer_lag", "models_in_service"):
            if out[name] is None:
                out["missing"].append(name)
        return out

    async def acknowledge(self, product_id: str) -> float | None:
        """Acknowledge the product's open low-stock alert; None when it has none."""
        current = await self.overview(time.time())
        alerts = {str(a.get("product_id")) for a in current["low_stock"] or []}
        if product_id not in alerts:
            return None
        at = time.time()
        await self._source.acknowledge_low_stock(product_id, at)
        async with self._lock:
            self._cached = None
            self._cached_at = -float("inf")
        return at
