"""A minimal app with the analytics and dashboard routers over a fake analytics source."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from features.online import open_store
from serving.analytics.lag import LagReading
from serving.analytics.service import LiveAnalytics
from serving.api import analytics, dashboard

from .full_overview import full_raw_overview


@dataclass
class FakeAnalytics:
    """Each call returns the next overview: figures that move, like a live stream."""

    calls: int = 0
    acks: dict[str, float] = field(default_factory=dict)

    async def overview(self, now: float) -> dict[str, Any]:
        self.calls += 1
        raw = full_raw_overview(n=self.calls)
        for alert in raw["low_stock"]["items"]:
            alert["acknowledged"] = alert["product_id"] in self.acks
        return raw

    async def acknowledge_low_stock(self, product_id: str, now: float) -> None:
        self.acks[product_id] = now


@dataclass
class FakeLag:
    topics: dict[str, int] = field(default_factory=lambda: {"commerce.events": 12})

    async def read(self) -> LagReading:
        return LagReading(topics=dict(self.topics))


@pytest.fixture
def fake() -> FakeAnalytics:
    return FakeAnalytics()


@pytest.fixture
def client(tmp_path: Path, fake: FakeAnalytics) -> Iterator[TestClient]:
    settings = ServingSettings(data_dir=tmp_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.online_store_url)
        app.state.live_analytics = LiveAnalytics(source=fake, lag=FakeLag(), cache_s=0.0)
        yield
        await app.state.store.close()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    with TestClient(app) as c:
        yield c
