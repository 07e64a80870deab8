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
from serving.analytics.acks import AlertAcks
from serving.analytics.lag import LagReading
from serving.analytics.service import LiveAnalytics
from serving.routers import analytics, dashboard


@dataclass
class FakeAnalytics:
    """Each call returns the next overview: figures that move, like a live stream."""

    calls: int = 0
    low_stock: list[dict[str, Any]] = field(default_factory=lambda: [
        {"product_id": "P1", "on_hand": 2, "threshold": 5, "raised_at": 0.0}])

    async def overview(self, now: float) -> dict[str, Any]:
        self.calls += 1
        n = self.calls
        return {
            "events_per_s": {"commerce": {"value": 10.0 + n, "previous": 10.0}},
            "orders_per_min": {"value": float(n), "previous": 1.0},
            "low_stock": [dict(a) for a in self.low_stock],
        }


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
        app.state.live_analytics = LiveAnalytics(
            source=fake, acks=AlertAcks(store=app.state.store), lag=FakeLag(), cache_s=0.0)
        yield
        await app.state.store.close()

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    with TestClient(app) as c:
        yield c
