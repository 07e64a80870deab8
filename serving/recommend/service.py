"""Recommendations for a user, similar items and reranking: the model in service, the user's
live signals, cold start, and fallbacks. Routers stay thin; nothing here raises to a 500.

Outcomes name the model version and variant that served them, and the fallback reason when a
degraded path was taken (the routers turn it into `X-Agora-Fallback` and a metric).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from enum import StrEnum

from contracts import item_domain
from models.filters import Filters, Scored
from serving.recommend.experiments import assign
from serving.recommend.fallback import (
    INVENTORY_UNAVAILABLE,
    MODEL_ERROR,
    MODEL_UNAVAILABLE,
    STORE_UNAVAILABLE,
    PopularItems,
    merge_ranked,
)
from serving.recommend.model_registry import CHAMPION, Alias, ModelRegistry
from serving.recommend.served import ServedModel
from serving.recommend.signals import LiveSignals, SignalsUnavailable, bounded, user_context

log = logging.getLogger(__name__)



class Strategy(StrEnum):
    """How a list was made."""

    personalised = "personalised"
    cold_start = "cold_start"
    popular = "popular"
    similar = "similar"
    content = "content"  # neighbours by the words of an item no model has seen
    given_order = "given_order"


PERSONALISED = Strategy.personalised
COLD_START = Strategy.cold_start
POPULAR = Strategy.popular
SIMILAR = Strategy.similar
BY_WORDS = Strategy.content
GIVEN_ORDER = Strategy.given_order


@dataclass(frozen=True, kw_only=True)
class Query:
    k: int
    domain: str | None = None
    category: str | None = None
    exclude: frozenset[str] = frozenset()
    in_stock: bool = False
    include_consumed: bool = False


@dataclass(kw_only=True)
class Outcome:
    items: list[Scored]
    model: ServedModel | None
    variant: Alias
    strategy: Strategy
    fallbacks: list[str] = field(default_factory=list)


class RecommendationService:
    def __init__(self, *, registry: ModelRegistry, signals: LiveSignals, popular: PopularItems,
                 challenger_share: float, store_timeout_s: float) -> None:
        self._registry = registry
        self._signals = signals
        self._popular = popular
        self._share = challenger_share
        self._timeout_s = store_timeout_s

    async def for_user(self, user_id: str, query: Query) -> Outcome:
        assignment = assign(user_id, self._registry.current, self._share)
        served = assignment.model
        context = await user_context(self._signals, user_id, self._timeout_s)
        fallbacks = [context.degraded] if context.degraded else []
        exclude = query.exclude if query.include_consumed else query.exclude | context.consumed
        want = 2 * query.k + 10 if query.in_stock else query.k
        if served is None:
            return await self._popular_outcome(query, exclude, None, assignment.variant,
                                               [*fallbacks, MODEL_UNAVAILABLE])
        filters = Filters(exclude=exclude, domain=query.domain, category=query.category,
                          exclude_seen=not query.include_consumed)
        try:
            cold = served.model.user_row(user_id) is None and not context.history
            items = served.model.recommend(user_id, want, filters, history=context.history)
        except Exception:
            log.exception("model %s failed to recommend", served.label)
            return await self._popular_outcome(query, exclude, served, assignment.variant,
                                               [*fallbacks, MODEL_ERROR])
        strategy = PERSONALISED
        if cold:
            strategy = COLD_START
            trending, fresh = await self._popular.trending(query.domain, want)
            if not fresh and STORE_UNAVAILABLE not in fallbacks:
                fallbacks.append(STORE_UNAVAILABLE)
            admitted = [t for t in trending if admits(served, t.item_id, filters)]
            items = merge_ranked([admitted, items], want)
        items = await self._stocked(items, query, fallbacks)
        return Outcome(items=items, model=served, variant=assignment.variant,
                       strategy=strategy, fallbacks=fallbacks)

    async def similar(self, item_id: str, k: int, domain: str | None) -> Outcome:
        served = self._registry.current.champion
        filters = Filters(domain=domain, exclude=frozenset({item_id}), exclude_seen=False)
        if served is not None:
            try:
                items = served.model.similar_items(item_id, k, filters)
            except Exception:
                log.exception("model %s failed on similar items", served.label)
                return await self._popular_outcome(
                    Query(k=k, domain=domain), frozenset({item_id}), served, CHAMPION,
                    [MODEL_ERROR])
            if items:
                return Outcome(items=items, model=served, variant=CHAMPION, strategy=SIMILAR)
            unseen = await self._unseen_item(served, item_id, k, filters)
            if unseen is not None:
                return unseen
        # an item nobody described either: popular items of its own domain
        own = domain or (d.value if (d := item_domain(item_id)) else None)
        outcome = await self._popular_outcome(
            Query(k=k, domain=own), frozenset({item_id}), served, CHAMPION,
            [] if served is not None else [MODEL_UNAVAILABLE])
        outcome.strategy = COLD_START if served is not None else POPULAR
        return outcome

    async def _unseen_item(self, served: ServedModel, item_id: str, k: int,
                           filters: Filters) -> Outcome | None:
        """An item published after the model was trained: neighbours by its words where the
        model reads text, else the model's most popular items of the item's category."""
        try:
            words = await bounded(self._signals.words(item_id), self._timeout_s)
        except SignalsUnavailable:
            return None
        if words is None:
            return None
        text, category = words
        try:
            items = served.model.similar_to_text(text, k, filters)
            strategy = BY_WORDS
            if not items and category:
                items = served.model.recommend(
                    "", k, replace(filters, category=category), history=())
                strategy = COLD_START
        except Exception:
            log.exception("model %s failed on an unseen item", served.label)
            return None
        if not items:
            return None
        return Outcome(items=items, model=served, variant=CHAMPION, strategy=strategy)

    async def rank(self, user_id: str, candidates: list[str]) -> Outcome:
        assignment = assign(user_id, self._registry.current, self._share)
        served = assignment.model
        given = [Scored(c, 0.0) for c in dict.fromkeys(candidates)]
        if served is None:
            return Outcome(items=given, model=None, variant=assignment.variant,
                           strategy=GIVEN_ORDER, fallbacks=[MODEL_UNAVAILABLE])
        context = await user_context(self._signals, user_id, self._timeout_s)
        fallbacks = [context.degraded] if context.degraded else []
        filters = Filters(allowed=frozenset(candidates), exclude_seen=False)
        try:
            scored = served.model.recommend(user_id, len(given), filters,
                                            history=context.history)
        except Exception:
            log.exception("model %s failed to rank", served.label)
            return Outcome(items=given, model=served, variant=assignment.variant,
                           strategy=GIVEN_ORDER, fallbacks=[*fallbacks, MODEL_ERROR])
        ranked = {s.item_id for s in scored}
        floor = min((s.score for s in scored), default=0.0)
        rest = [Scored(g.item_id, floor) for g in given if g.item_id not in ranked]
        return Outcome(items=[*scored, *rest], model=served, variant=assignment.variant,
                       strategy=PERSONALISED, fallbacks=fallbacks)

    async def _popular_outcome(self, query: Query, exclude: frozenset[str],
                               served: ServedModel | None, variant: Alias,
                               fallbacks: list[str]) -> Outcome:
        want = 2 * query.k + 10 if query.in_stock else query.k
        items, fresh = await self._popular.popular(domain=query.domain, k=want, model=served,
                                                   exclude=exclude)
        if not fresh and STORE_UNAVAILABLE not in fallbacks:
            fallbacks.append(STORE_UNAVAILABLE)
        items = await self._stocked(items, query, fallbacks)
        return Outcome(items=items, model=served, variant=variant, strategy=POPULAR,
                       fallbacks=fallbacks)

    async def _stocked(self, items: list[Scored], query: Query, fallbacks: list[str]
                       ) -> list[Scored]:
        """Drop out-of-stock products when asked; keep the list if stock cannot be read."""
        if query.in_stock:
            try:
                gone = await bounded(self._signals.out_of_stock([s.item_id for s in items]),
                                     self._timeout_s)
                items = [s for s in items if s.item_id not in gone]
            except SignalsUnavailable:
                fallbacks.append(INVENTORY_UNAVAILABLE)
        return items[:query.k]


def admits(served: ServedModel, item_id: str, filters: Filters) -> bool:
    """Whether an item from outside the model's scoring passes the request's filters."""
    if item_id in filters.exclude:
        return False
    if filters.domain is not None:
        domain = item_domain(item_id)
        if domain is None or domain.value != filters.domain:
            return False
    if filters.category is not None:
        data = getattr(served.model, "data", None)
        categories = getattr(data, "item_categories", {})
        return bool(categories.get(item_id) == filters.category)
    return True
