"""The core's routes when the database cannot be reached: 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.integration.core.conftest import ADMIN_KEY, core_app

pytestmark = pytest.mark.integration


def test_an_unreachable_database_is_a_503_with_retry_after():
    nowhere = f"postgresql+psycopg://agora@127.0.0.1:{free_port()}/core"  # nothing listens
    settings = ServingSettings(database_url=nowhere, admin_api_key=SecretStr(ADMIN_KEY),
                               database_pool_size=1)
    with TestClient(core_app(settings), raise_server_exceptions=False) as client:
        admin = {"X-API-Key": ADMIN_KEY}
        for response in (
                client.get("/v1/orders/o1", headers=admin),
                client.post("/v1/orders", headers=admin, json={
                    "user_id": "u", "currency": "USD",
                    "lines": [{"product_id": "p", "quantity": 1}]}),
                client.get("/v1/catalog/products"),
                # a key not in memory is looked up in the database: 503 too, not 401
                client.get("/v1/orders/o1", headers={"X-API-Key": "k" * 32})):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"].isdigit()
            assert response.json()["detail"][0]["type"] == "unavailable"
