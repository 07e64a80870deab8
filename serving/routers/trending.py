"""GET /v1/trending: live trending items per domain, from the stream counters."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contracts import Domain
from features.trending import Window, read_trending
from serving.deps import SettingsDep, StoreDep

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
    store: StoreDep,
    settings: SettingsDep,
    domain: Annotated[Domain, Query(description="commerce, community or podcast")],
    window: Annotated[Window, Query(description="1m and 5m: counts; 1h: decayed score")]
    = Window.one_hour,
    k: Annotated[int, Query(ge=1, le=100)] = 10,
) -> TrendingResponse:
    now = time.time()
    rows = await read_trending(store, domain=domain, window=window, k=k, now=now,
                               half_life_s=settings.trending_half_life_s)
    return TrendingResponse(
        domain=domain, window=window, k=k, as_of=datetime.fromtimestamp(now, UTC),
        items=[TrendingItem(item_id=item, score=score) for item, score in rows],
    )
