"""GET /v1/trending: live trending items per domain, from the stream counters."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from contracts import Domain
from features.trending import Window, read_trending
from serving.deps import PopularDep, RegistryDep, SettingsDep, StoreDep
from serving.recommend.fallback import FALLBACK_HEADER, STORE_UNAVAILABLE
from serving.recommend.signals import SignalsUnavailable, bounded

router = APIRouter(prefix="/v1", tags=["trending"])


class TrendingItem(BaseModel):
    item_id: str
    score: float


class TrendingResponse(BaseModel):
    domain: Domain
    window: Window
    k: int
    as_of: datetime
    items: list[TrendingItem]


@router.get("/trending", response_model=TrendingResponse)
async def get_trending(
    response: Response,
    store: StoreDep,
    popular: PopularDep,
    registry: RegistryDep,
    settings: SettingsDep,
    domain: Annotated[Domain, Query(description="commerce, community or podcast")],
    window: Annotated[Window, Query(description="1m and 5m: counts; 1h: decayed score")]
    = Window.one_hour,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TrendingResponse:
    now = time.time()
    try:
        rows = await bounded(read_trending(store, domain=domain, window=window, k=k, now=now,
                                           half_life_s=settings.trending_half_life_s),
                             settings.readiness_timeout_s)
    except SignalsUnavailable:  # never a 500: the last good trending, else popular items
        items, _ = await popular.popular(domain=domain.value, k=k,
                                         model=registry.current.champion)
        rows = [(s.item_id, s.score) for s in items]
        response.headers[FALLBACK_HEADER] = STORE_UNAVAILABLE
    return TrendingResponse(
        domain=domain, window=window, k=k, as_of=datetime.fromtimestamp(now, UTC),
        items=[TrendingItem(item_id=item, score=score) for item, score in rows],
    )
