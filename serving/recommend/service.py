"""Recommendations for a user, similar items and reranking: the model in service, the user's
live signals, cold start, and fallbacks. Routers stay thin; nothing here raises to a 500.

Outcomes name the model version and variant that served them, and the fallback reason when a
degraded path was taken (the routers turn it into `X-Agora-Fallback` and a metric).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from contracts import Domain, item_domain
from models.filters import Filters, Scored
from serving.recommend import communities, paging
from serving.recommend.diversity import NO_ROTATION, Rotation, diversified, pool_size
from serving.recommend.experiments import assign
from serving.recommend.fallback import (
    INVENTORY_UNAVAILABLE,
    MODEL_ERROR,
    MODEL_UNAVAILABLE,
    STORE_UNAVAILABLE,
    PopularItems,
    merge_ranked,
)
from serving.recommend.live_rules import LiveRules
from serving.recommend.model_registry import CHAMPION, Alias, ModelRegistry
from serving.recommend.rules import ItemAttributes
from serving.recommend.served import ServedModel
from serving.recommend.signals import LiveSignals, SignalsUnavailable, bounded, user_context

log = logging.getLogger(__name__)

EXPLAIN_ITEMS = 3  # history items named per explained item
DISLIKED_ITEMS = 5  # the newest disliked items whose neighbours are lowered
DISLIKED_NEIGHBOURS = 20
COMMUNITY_READ = 500  # trending communities: picked from the community domain's top 500
MEMBERSHIP_TIMEOUT_S = 0.25  # what a list of communities waits for the core's memberships


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


class Reason(StrEnum):
    """Why an item is in a list (`explain=true`)."""

    history = "history"  # these items of the user's history made its score
    trending = "trending"  # trending in its domain (cold start or a fallback)
    popular = "popular"  # the model's popular items: no history to say more
    popular_in_category = "popular_in_category"
    similar = "similar"  # a neighbour of the item asked about


@dataclass(frozen=True, slots=True)
class Because:
    reason: Reason
    items: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Query:
    k: int
    domain: str | None = None
    kind: str | None = None
    category: str | None = None
    exclude: frozenset[str] = frozenset()
    in_stock: bool = False
    include_consumed: bool = False
    explain: bool = False
    page: paging.Page | None = None  # None: the first page
    diversity: float = 0.0  # 0..1: maximal marginal relevance (diversity.py); 0 = the model's


@dataclass(kw_only=True)
class Outcome:
    items: list[Scored]
    model: ServedModel | None
    variant: Alias
    strategy: Strategy
    fallbacks: list[str] = field(default_factory=list)
    because: dict[str, Because] = field(default_factory=dict)  # only when explain=true
    ranking: bytes = b""  # digest of the model version and history the list was cut from
    ranking_changed: bool = False  # the cursor's ranking is not this one (docs/serving.md)
    more: bool = False  # the ranking had items beyond this page
    rules: list[str] = field(default_factory=list)  # merchandising rules that changed it


class RecommendationService:
    def __init__(self, *, registry: ModelRegistry, signals: LiveSignals, popular: PopularItems,
                 challenger_share: float, store_timeout_s: float,
                 rules: LiveRules | None = None, rotation: Rotation = NO_ROTATION,
                 joined: Callable[[str], Awaitable[frozenset[str]]] | None = None) -> None:
        self._registry = registry
        self._joined = joined  # the communities a user is a member of (the core's)
        self._rotation = rotation
        self._rules = rules
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
        ranking = paging.ranking_digest(served.label if served else None, context.history,
                                        exclude, context.disliked)
        want = self._want(query, extra=DISLIKED_NEIGHBOURS if context.disliked else 0)
        if served is None:
            return await self._popular_outcome(query, exclude, None, assignment.variant,
                                               [*fallbacks, MODEL_UNAVAILABLE], ranking)
        filters = Filters(exclude=exclude, domain=query.domain, kind=query.kind,
                          category=query.category, exclude_seen=not query.include_consumed)
        try:
            cold = served.model.user_row(user_id) is None and not context.history
            items = served.model.recommend(user_id, want, filters, history=context.history)
            items = self._lower_disliked(served, items, context.disliked)
        except Exception:
            log.exception("model %s failed to recommend", served.label)
            return await self._popular_outcome(query, exclude, served, assignment.variant,
                                               [*fallbacks, MODEL_ERROR], ranking)
        outcome = Outcome(items=items, model=served, variant=assignment.variant,
                          strategy=PERSONALISED, fallbacks=fallbacks, ranking=ranking)
        trending: list[Scored] = []
        if cold:
            outcome.strategy = COLD_START
            trending, fresh = await self._popular.trending(query.domain, want)
            if not fresh and STORE_UNAVAILABLE not in fallbacks:
                fallbacks.append(STORE_UNAVAILABLE)
            trending = [t for t in trending if admits(served, t.item_id, filters)]
            outcome.items = merge_ranked([trending, items], want)
        by_community = query.kind == communities.COMMUNITY
        # what the user trained on is read only where it is used (not on the hot path)
        history = ([*context.history, *trained_items(served, user_id)]
                   if query.explain or by_community else context.history)
        affine: dict[str, list[str]] = {}
        if by_community:
            outcome.items, affine, more = await self._communities(
                served, user_id, outcome.items, history, filters, want)
            trending += more
        await self._answer(outcome, query, admit=lambda i: admits(served, i, filters),
                           user_id=user_id)
        if query.explain:
            self._explain(outcome, query, history=history,
                          trending={t.item_id for t in trending})
            for item_id, posts in affine.items():
                if item_id in outcome.because:
                    outcome.because[item_id] = Because(Reason.history,
                                                       tuple(posts[:EXPLAIN_ITEMS]))
        return outcome

    async def _communities(self, served: ServedModel, user_id: str, items: list[Scored],
                           history: list[str], filters: Filters, want: int
                           ) -> tuple[list[Scored], dict[str, list[str]], list[Scored]]:
        """`kind=community`: the communities of the user's posts and comments they have not
        joined, most items first (serving/recommend/communities.py), then the model's, then
        trending communities while the list is short. Scores become ranks (merge_ranked).
        Joined: what the history says and the core's memberships, read beside the
        attributes. Returns the list, the communities by affinity with their items, the
        trending ones."""
        posts = communities.participation(history)
        attributes, members = await asyncio.gather(
            self._rules.attributes(posts) if self._rules is not None and posts
            else _nothing(), self._members(user_id))
        known = communities.joined(history) | members
        affine = {c: mine for c, mine in communities.affinity(posts, attributes).items()
                  if c not in known and admits(served, c, filters)}
        lists = [[Scored(c, 0.0) for c in affine], items]
        trending: list[Scored] = []
        if len(affine) + len(items) < want:
            trending, _ = await self._popular.trending(Domain.community.value, COMMUNITY_READ)
            trending = [t for t in trending if admits(served, t.item_id, filters)]
            lists.append(trending)
        return merge_ranked(lists, want, exclude=known), affine, trending

    async def _members(self, user_id: str) -> frozenset[str]:
        if self._joined is None:
            return frozenset()
        try:
            async with asyncio.timeout(MEMBERSHIP_TIMEOUT_S):
                return await self._joined(user_id)
        except Exception as exc:  # the core slow or down: what the history says
            log.warning("memberships unavailable: %s", type(exc).__name__)
            return frozenset()

    def _want(self, query: Query, *, extra: int = 0) -> int:
        """How many candidates to ask for: this page, what earlier pages served (skipped),
        room for the stock cut and for lowered items, and one more to know whether a next
        page exists."""
        served = len(query.page.served) if query.page is not None else 0
        stock = query.k + 10 if query.in_stock else 0
        ruled = query.k + 10 if self._rules is not None and self._rules.current.rules else 0
        pool = pool_size(query.k, diversity=query.diversity,
                         rotation=self._rotation.penalty) - query.k
        return served + query.k + 1 + stock + ruled + pool + extra

    async def _answer(self, outcome: Outcome, query: Query, *,
                      admit: Callable[[str], bool] | None = None,
                      user_id: str | None = None) -> None:
        """Where a scored candidate list (best first) becomes the answer: `outcome.items` in,
        this page of it out. Reranking (diversity, rotation: serving/recommend/diversity.py)
        and merchandising rules (serving/recommend/rules.py) hook in here, in that order,
        one call each, before paging and the stock cut: they see every candidate.
        `admit`: whether a pinned item the candidates lack may be inserted (None: never)."""
        items = outcome.items
        # no await, no read when neither diversity nor rotation is asked for (the plain list)
        if outcome.model is not None and (query.diversity > 0 or self._rotation.penalty > 0):
            items = await self._reranked(outcome.model, items, query, user_id)
        if self._rules is not None:  # over what this page and the earlier ones show
            shown = query.k + (len(query.page.served) if query.page is not None else 0)
            items, outcome.rules = await self._rules.apply(
                items, shown, admit=admit or _no_insertion, rest=True)
        page = query.page
        if page is not None:
            outcome.ranking_changed = page.ranking != outcome.ranking
            items = [s for s in items if page.admits(s.item_id)]
        items = await self._stocked(items, query, outcome.fallbacks)
        outcome.more = len(items) > query.k
        outcome.items = items[:query.k]

    async def _reranked(self, served: ServedModel, items: list[Scored], query: Query,
                        user_id: str | None) -> list[Scored]:
        """Every candidate reordered for diversity and rotation (the user's recently served
        items; not on a later page, whose cursor already keeps earlier pages out)."""
        recent = (await self._rotation.served(user_id)
                  if user_id is not None and query.page is None else frozenset())
        if query.diversity <= 0 and not recent:
            return items
        try:
            return diversified(served.model, items, len(items), diversity=query.diversity,
                               rotation=self._rotation.penalty, served=recent)
        except Exception:
            log.exception("model %s failed to diversify", served.label)
            return items

    def _lower_disliked(self, served: ServedModel, items: list[Scored],
                        disliked: dict[str, float]) -> list[Scored]:
        """Candidates near an item the user turned away from lose part of the list's score
        span: their similarity relative to its nearest neighbour, times min(1, |weight|/2)
        (a downvote weighs -2: its nearest neighbour drops by the whole span)."""
        if not disliked or not items:
            return items
        scores = [s.score for s in items]
        span = (max(scores) - min(scores)) or 1.0
        penalty: dict[str, float] = {}
        for item, weight in list(disliked.items())[:DISLIKED_ITEMS]:
            near = served.model.similar_items(item, DISLIKED_NEIGHBOURS,
                                              Filters(exclude_seen=False))
            top = max((n.score for n in near), default=0.0)
            if top <= 0:
                continue
            strength = min(1.0, abs(weight) / 2)
            for n in near:
                if n.score > 0:
                    penalty[n.item_id] = max(penalty.get(n.item_id, 0.0),
                                             strength * n.score / top)
        if not penalty:
            return items
        lowered = [Scored(s.item_id, s.score - penalty.get(s.item_id, 0.0) * span)
                   for s in items]
        return sorted(lowered, key=lambda s: -s.score)

    def _explain(self, outcome: Outcome, query: Query, *, history: list[str],
                 trending: set[str]) -> None:
        """`because` per item: the history items that made its score, from the model's own
        computation, else why it is there (trending, popular)."""
        served = outcome.model
        explain = getattr(served.model, "explain", None) if served is not None else None
        named: dict[str, list[str]] = {}
        if explain is not None and history:
            try:
                named = explain(history, [s.item_id for s in outcome.items], EXPLAIN_ITEMS)
            except Exception:
                log.exception("model %s failed to explain", served.label if served else None)
        popular = Reason.popular_in_category if query.category else Reason.popular
        for s in outcome.items:
            if s.item_id in trending:
                outcome.because[s.item_id] = Because(Reason.trending)
            elif items := named.get(s.item_id):
                outcome.because[s.item_id] = Because(Reason.history, tuple(items))
            else:
                outcome.because[s.item_id] = Because(popular)

    async def similar(self, item_id: str, k: int, domain: str | None, *,
                      kind: str | None = None, diversity: float = 0.0) -> Outcome:
        served = self._registry.current.champion
        query = Query(k=k, domain=domain, kind=kind, diversity=diversity)
        filters = Filters(domain=domain, kind=kind, exclude=frozenset({item_id}),
                          exclude_seen=False)
        if served is not None:
            try:
                items = served.model.similar_items(item_id, self._want(query) - 1, filters)
            except Exception:
                log.exception("model %s failed on similar items", served.label)
                return await self._popular_outcome(query, frozenset({item_id}), served,
                                                   CHAMPION, [MODEL_ERROR])
            if items:
                outcome = Outcome(items=items, model=served, variant=CHAMPION,
                                  strategy=SIMILAR)
                await self._answer(outcome, query, admit=lambda i: admits(served, i, filters))
                return outcome
            unseen = await self._unseen_item(served, item_id, k, filters)
            if unseen is not None:
                await self._answer(unseen, query)
                return unseen
        # an item nobody described either: popular items of its own domain
        own = domain or (d.value if (d := item_domain(item_id)) else None)
        outcome = await self._popular_outcome(
            replace(query, domain=own), frozenset({item_id}), served, CHAMPION,
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

    async def rank(self, user_id: str, candidates: list[str], *,
                   kind: str | None = None) -> Outcome:
        """The candidates best first (of `kind` only, when given: the others left out)."""
        assignment = assign(user_id, self._registry.current, self._share)
        served = assignment.model
        if kind is not None:
            candidates = [c for c in candidates if c.partition(":")[0] == kind]
        given = [Scored(c, 0.0) for c in dict.fromkeys(candidates)]
        query = Query(k=len(given), kind=kind)
        if not given:  # no candidate of the kind asked for
            return Outcome(items=[], model=served, variant=assignment.variant,
                           strategy=GIVEN_ORDER)
        if served is None:
            outcome = Outcome(items=given, model=None, variant=assignment.variant,
                              strategy=GIVEN_ORDER, fallbacks=[MODEL_UNAVAILABLE])
            await self._answer(outcome, query)
            return outcome
        context = await user_context(self._signals, user_id, self._timeout_s)
        fallbacks = [context.degraded] if context.degraded else []
        filters = Filters(allowed=frozenset(candidates), exclude_seen=False)
        try:
            scored = served.model.recommend(user_id, len(given), filters,
                                            history=context.history)
        except Exception:
            log.exception("model %s failed to rank", served.label)
            outcome = Outcome(items=given, model=served, variant=assignment.variant,
                              strategy=GIVEN_ORDER, fallbacks=[*fallbacks, MODEL_ERROR])
            await self._answer(outcome, query)
            return outcome
        ranked = {s.item_id for s in scored}
        floor = min((s.score for s in scored), default=0.0)
        rest = [Scored(g.item_id, floor) for g in given if g.item_id not in ranked]
        outcome = Outcome(items=[*scored, *rest], model=served, variant=assignment.variant,
                          strategy=PERSONALISED, fallbacks=fallbacks)
        await self._answer(outcome, query)
        return outcome

    async def _popular_outcome(self, query: Query, exclude: frozenset[str],
                               served: ServedModel | None, variant: Alias,
                               fallbacks: list[str], ranking: bytes = b"") -> Outcome:
        items, fresh = await self._popular.popular(domain=query.domain, k=self._want(query),
                                                   model=served, exclude=exclude,
                                                   kind=query.kind)
        if not fresh and STORE_UNAVAILABLE not in fallbacks:
            fallbacks.append(STORE_UNAVAILABLE)
        outcome = Outcome(items=items, model=served, variant=variant, strategy=POPULAR,
                          fallbacks=fallbacks, ranking=ranking)
        await self._answer(outcome, query)
        if query.explain:
            trending, _ = await self._popular.trending(query.domain, self._want(query))
            self._explain(outcome, query, history=[],
                          trending={t.item_id for t in trending})
        return outcome

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
        return items


def _no_insertion(_: str) -> bool:
    return False


async def _nothing() -> dict[str, ItemAttributes]:
    return {}


def admits(served: ServedModel, item_id: str, filters: Filters) -> bool:
    """Whether an item from outside the model's scoring passes the request's filters."""
    if item_id in filters.exclude:
        return False
    if filters.domain is not None:
        domain = item_domain(item_id)
        if domain is None or domain.value != filters.domain:
            return False
    if filters.kind is not None and item_id.partition(":")[0] != filters.kind:
        return False
    if filters.category is not None:
        data = getattr(served.model, "data", None)
        categories = getattr(data, "item_categories", {})
        return bool(categories.get(item_id) == filters.category)
    return True


def trained_items(served: ServedModel, user_id: str) -> list[str]:
    """The items a known user trained on (their row of the model's data), for `explain`."""
    row = served.model.user_row(user_id)
    data = getattr(served.model, "data", None)
    if row is None or data is None:
        return []
    matrix = data.matrix
    cols = matrix.indices[matrix.indptr[row]:matrix.indptr[row + 1]]
    return [str(i) for i in data.item_ids[cols].tolist()]
