"""GET /v1/trending: live trending items per domain, from the stream counters."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from contracts import Domain, item_domain
from features.trending import Window, read_trending
from models.filters import Scored
from serving.deps import PopularDep, RegistryDep, RulesDep, SettingsDep, StoreDep
from serving.edge.parameters import invalid_query
from serving.recommend.fallback import FALLBACK_HEADER, STORE_UNAVAILABLE
from serving.recommend.signals import SignalsUnavailable, bounded
from serving.schemas.recommendations import KindParam, kind_in_domain

router = APIRouter(prefix="/v1", tags=["trending"])
KIND_READ = 500  # trending of one kind: picked from the domain's top 500


class TrendingItem(BaseModel):
    item_id: str
    score: float


class TrendingResponse(BaseModel):
    domain: Domain
    window: Window
    k: int
    as_of: datetime
    items: list[TrendingItem]
    rules: list[str] = Field(default_factory=list,
                             description="The merchandising rules that changed this list.")


@router.get("/trending", response_model=TrendingResponse)
async def get_trending(
    response: Response,
    store: StoreDep,
    popular: PopularDep,
    registry: RegistryDep,
    settings: SettingsDep,
    rules: RulesDep,
    domain: Annotated[Domain, Query(description="commerce, community or podcast")],
    window: Annotated[Window, Query(description="1m and 5m: counts; 1h: decayed score")]
    = Window.one_hour,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
    kind: Annotated[KindParam, Query()] = None,
) -> TrendingResponse:
    try:
        kind_in_domain(kind, domain)
    except ValueError as exc:
        raise invalid_query("kind", str(exc), kind) from None
    now = time.time()
    # room for what merchandising filters drop, and for the other kinds of the domain
    read_k = 2 * k + 10 if rules.current.rules else k
    read_k = max(10 * read_k, KIND_READ) if kind is not None else read_k
    try:
        rows = await bounded(read_trending(store, domain=domain, window=window, k=read_k, now=now,
                                           half_life_s=settings.trending_half_life_s),
                             settings.readiness_timeout_s)
    except SignalsUnavailable:  # never a 500: the last good trending, else popular items
        items, _ = await popular.popular(domain=domain.value, k=read_k,
                                         model=registry.current.champion)
        rows = [(s.item_id, s.score) for s in items]
        response.headers[FALLBACK_HEADER] = STORE_UNAVAILABLE
    if kind is not None:
        rows = [(item, score) for item, score in rows if item.partition(":")[0] == kind]
    served, applied = await rules.apply([Scored(item, score) for item, score in rows], k,
                                        admit=lambda item: item_domain(item) is domain and (
                                            kind is None or item.partition(":")[0] == kind))
    return TrendingResponse(
        domain=domain, window=window, k=k, as_of=datetime.fromtimestamp(now, UTC),
        items=[TrendingItem(item_id=s.item_id, score=s.score) for s in served], rules=applied,
    )
