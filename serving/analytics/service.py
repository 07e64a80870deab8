"""The overview the API serves: the reader's figures, normalized, plus lag and models.

One instance per app; its result is shared for `cache_s`, so every open dashboard costs the
store one read per push interval, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
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
        experiment: Callable[[float], Awaitable[dict[str, Any]]] | None = None,
        cache_s: float = 0.5,
    ) -> None:
        self._experiment = experiment
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
        out["experiment"] = await self.experiment(now)
        _mark_arms(out.get("ctr"), out["experiment"])
        for name in ("consumer_lag", "models_in_service"):
            if out[name] is None:
                out["missing"].append(name)
        return out

    async def experiment(self, now: float | None = None) -> dict[str, Any] | None:
        """The A/B test (serving.analytics.experiment); None without one wired."""
        if self._experiment is None:
            return None
        return await self._experiment(time.time() if now is None else now)

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


def _mark_arms(rows: Any, experiment: dict[str, Any] | None) -> None:
    """The CTR rows of the models in the A/B test carry their arm: lists served since the
    test began, CTR with its interval, and the decision."""
    if not rows or not experiment or not experiment.get("decision"):
        return
    for row in rows:
        arm = experiment.get(row.get("variant")) if row.get("variant") in (
            "champion", "challenger") else None
        if arm and arm.get("model") == row.get("model"):
            row["ab"] = {"served": arm["served"], "ctr": arm["ctr"],
                         "ctr_interval": arm["ctr_interval"],
                         "decision": experiment["decision"]["status"]}
