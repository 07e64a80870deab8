"""Popular items: what is served when nothing better can be (and to cold-start users).

Trending comes from the stream counters in the online store; the last good read per domain is
kept, and the model in service contributes its popularity snapshot, so a popular list exists
even with the store down, and even with no model as long as the store once answered.
"""

from __future__ import annotations

import itertools
import time
from enum import StrEnum

from contracts import Domain
from contracts.items import KIND_DOMAIN
from features.online import OnlineStore
from features.trending import Window, read_trending
from models.filters import Scored
from serving.recommend.served import ServedModel
from serving.recommend.signals import SignalsUnavailable, bounded

FALLBACK_HEADER = "X-Agora-Fallback"


class Fallback(StrEnum):
    """Why a degraded path served a list (`X-Agora-Fallback`, the `fallback` field, a metric)."""

    model_unavailable = "model-unavailable"
    model_error = "model-error"
    store_unavailable = "store-unavailable"
    inventory_unavailable = "inventory-unavailable"


MODEL_UNAVAILABLE = Fallback.model_unavailable
MODEL_ERROR = Fallback.model_error
STORE_UNAVAILABLE = Fallback.store_unavailable
INVENTORY_UNAVAILABLE = Fallback.inventory_unavailable

DOMAINS = tuple(d.value for d in Domain)


class PopularItems:
    def __init__(self, *, store: OnlineStore, half_life_s: float, timeout_s: float) -> None:
        self._store = store
        self._half_life_s = half_life_s
        self._timeout_s = timeout_s
        self._last: dict[str, list[Scored]] = {}

    async def trending(self, domain: str | None, k: int) -> tuple[list[Scored], bool]:
        """Trending items of a domain (all domains interleaved if None); False if stale."""
        domains = [domain] if domain else list(DOMAINS)
        fresh = True
        lists = []
        for d in domains:
            try:
                rows = await bounded(read_trending(
                    self._store, domain=d, window=Window.one_hour, k=k, now=time.time(),
                    half_life_s=self._half_life_s), self._timeout_s)
                self._last[d] = [Scored(i, s) for i, s in rows]
            except SignalsUnavailable:
                fresh = False
            lists.append(self._last.get(d, []))
        return _interleave(lists), fresh

    async def popular(self, *, domain: str | None, k: int, model: ServedModel | None,
                      exclude: frozenset[str] = frozenset(), kind: str | None = None
                      ) -> tuple[list[Scored], bool]:
        """Trending first, then the model's popular items (of one item kind if given); False
        when the store did not answer."""
        if kind is not None:
            domain = domain or (d.value if (d := KIND_DOMAIN.get(kind)) else None)
        trending, fresh = await self.trending(domain, 2 * k + len(exclude))
        snapshot = list(model.popular.get(domain or "", ())) if model is not None else []
        lists = [trending, snapshot]
        if kind is not None:
            lists = [[s for s in rows if s.item_id.partition(":")[0] == kind] for rows in lists]
        return merge_ranked(lists, k, exclude), fresh


def _interleave(lists: list[list[Scored]]) -> list[Scored]:
    out: list[Scored] = []
    for row in itertools.zip_longest(*lists):
        out.extend(x for x in row if x is not None)
    return out


def merge_ranked(lists: list[list[Scored]], k: int,
                 exclude: frozenset[str] = frozenset()) -> list[Scored]:
    """Concatenate ranked lists without duplicates; scores become ranks in (0, 1]."""
    seen: set[str] = set(exclude)
    items: list[str] = []
    for row in itertools.chain.from_iterable(lists):
        if row.item_id not in seen:
            seen.add(row.item_id)
            items.append(row.item_id)
            if len(items) == k:
                break
    return [Scored(item, round(1.0 - i / max(len(items), 1), 6)) for i, item in enumerate(items)]
