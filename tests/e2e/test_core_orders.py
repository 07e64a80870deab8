"""`agora serve` as its own process on PostgreSQL: 200 concurrent orders for 50 units."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from launch.broker import EmbeddedBroker, free_port

pytestmark = pytest.mark.e2e
ADMIN_KEY = "e2e-admin-key-0123456789"


def serve(*, database_url: str, bootstrap: str, data_dir: Path) -> tuple[subprocess.Popen[bytes],
                                                                          str]:
    port = free_port()
    env = {**os.environ, "AGORA_DATABASE_URL": database_url, "AGORA_ADMIN_API_KEY": ADMIN_KEY,
           "AGORA_KAFKA_BOOTSTRAP": bootstrap, "AGORA_DATA_DIR": str(data_dir),
           "AGORA_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--port", str(port)],
                            env=env, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/catalog/products", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise TimeoutError("agora serve did not come up")


@pytest.fixture
def api(core_postgres_url: str, broker: EmbeddedBroker, tmp_path: Path) -> Iterator[str]:
    proc, base = serve(database_url=core_postgres_url, bootstrap=broker.bootstrap,
                       data_dir=tmp_path)
    yield base
    proc.terminate()
    proc.wait(15)


async def _orders(base: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": ADMIN_KEY},
                                 limits=limits, timeout=60) as client:
        return await asyncio.gather(*(
            client.post("/v1/orders", json={"user_id": f"u{i}", "currency": "USD",
                                            "lines": [{"product_id": "hot", "quantity": 1}]})
            for i in range(n)))


def test_200_concurrent_orders_for_50_units_sell_exactly_50(api: str):
    admin = {"X-API-Key": ADMIN_KEY}
    product = {"sku": "hot", "title": "Hot item", "category": "drops",
               "price": {"amount": "19.99", "currency": "USD"}}
    assert httpx.post(f"{api}/v1/catalog/products", json=product, headers=admin).status_code == 201
    assert httpx.post(f"{api}/v1/inventory/hot/restock", json={"quantity": 50},
                      headers=admin).status_code == 200
    responses = asyncio.run(_orders(api, 200))
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 50, 409: 150}, codes
    refused = next(r for r in responses if r.status_code == 409).json()["detail"][0]
    assert refused["loc"] == ["lines", 0, "quantity"] and "0 available" in refused["msg"]
    stock = httpx.get(f"{api}/v1/inventory/hot").json()
    assert stock == {"sku": "hot", "available": 0, "reserved": 50}


def test_huge_body_is_refused_before_it_is_read(api: str):
    huge = {"user_id": "u", "currency": "USD",
            "lines": [{"product_id": "x" * 100, "quantity": 1}] * 50_000}
    response = httpx.post(f"{api}/v1/orders", json=huge, headers={"X-API-Key": ADMIN_KEY})
    assert response.status_code == 413
    assert httpx.get(f"{api}/v1/catalog/products").json()["items"] == []
