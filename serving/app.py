"""The HTTP API: `create_app(settings)` builds it; heavy resources open in `lifespan`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from agora.settings import ServingSettings
from features.online import open_store
from serving.api import analytics, dashboard, probes, trending
from serving.core_api import catalog, communities, inventory, orders, podcasts
from serving.core_api.runtime import open_core
from serving.runtime import install_recommendations, open_runtime


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    settings = settings or ServingSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = open_store(settings.online_store_url)
        try:
            async with open_runtime(app, settings, app.state.store), open_core(app, settings):
                yield
        finally:
            await app.state.store.close()

    app = FastAPI(
        title="Agora",
        version="0.1.0",
        summary="Real-time analytics and recommendations for store, communities and podcasts.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    # Routes match in order: the storefront's hot paths first.
    install_recommendations(app, settings)
    app.include_router(trending.router)
    app.include_router(probes.router)
    app.include_router(analytics.router)
    app.include_router(dashboard.router)
    app.include_router(catalog.router)
    app.include_router(inventory.router)
    app.include_router(orders.router)
    app.include_router(communities.router)
    app.include_router(podcasts.router)
    return app
