"""The core's HTTP routers on a real database, without the rest of the serving app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agora.settings import ServingSettings
from serving.core_api import catalog, communities, inventory, orders, podcasts
from serving.core_api.runtime import open_core

ADMIN_KEY = "test-admin-key-0123456789"


def core_app(settings: ServingSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_core(settings) as core:
            app.state.core, app.state.api_keys = core.bus, core.api_keys
            yield

    app = FastAPI(lifespan=lifespan)
    app.state.settings = settings
    for module in (catalog, inventory, orders, communities, podcasts):
        app.include_router(module.router)
    return app


@pytest.fixture
def client(core_database_url: str) -> Iterator[TestClient]:
    settings = ServingSettings(database_url=core_database_url, admin_api_key=SecretStr(ADMIN_KEY),
                               database_pool_size=5)
    with TestClient(core_app(settings), headers={"X-API-Key": ADMIN_KEY}) as c:
        yield c
