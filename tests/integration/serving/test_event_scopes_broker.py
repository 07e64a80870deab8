"""Event-type scopes over the real broker: a storefront's forged fact publishes nothing of its
batch; the same fact from a key with `events:facts`, and the storefront's behaviour, arrive."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from agora.settings import ServingSettings
from serving.edge.auth import KeyRing, static_keys
from tests.integration.serving.conftest import wait_until
from tests.unit.serving.conftest import app_state, serving_client

pytestmark = pytest.mark.integration

SHOP = "scopes-broker-shop-0123456789"
IMPORTER = "scopes-broker-facts-0123456789"


def _envelope(event_type: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u-scopes"}


def viewed() -> dict:
    return {**_envelope("product_viewed"), "product_id": "p1", "category": "books",
            "price": 3.0}


def placed() -> dict:
    return {**_envelope("order_placed"), "order_id": f"o-{uuid.uuid4().hex[:8]}",
            "lines": [{"product_id": "p1", "quantity": 2, "unit_price": 3.0}], "total": 6.0,
            "currency": "EUR"}


async def event_ids(bootstrap: str, topic: str, want: set[str], timeout_s: float = 30) -> set:
    """Every event id on `topic`, read until `want` are all there (or the timeout)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    seen: set[str] = set()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while want - seen and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:  # the shared broker also holds other tests' poison
                    try:
                        row = orjson.loads(r.value)
                    except orjson.JSONDecodeError:
                        continue
                    if isinstance(row, dict):
                        seen.add(str(row.get("event_id")))
    finally:
        await consumer.stop()
    return seen


def test_a_forged_fact_publishes_nothing_of_its_batch(broker, tmp_path) -> None:
    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=broker.bootstrap,
                               model_poll_s=3600, redis_url=None)
    with serving_client(settings, None) as client:
        app_state(client).api_keys = KeyRing(static=static_keys([
            ("shop", SHOP, ["storefront"]), ("importer", IMPORTER, ["events:facts"])]))
        wait_until(lambda: app_state(client).publisher.available, 30, "producer connected")
        forged_view, forged_order = viewed(), placed()
        refused = client.post("/v1/events", json={"events": [forged_view, forged_order]},
                              headers={"X-API-Key": SHOP})
        assert refused.status_code == 403 and refused.json()["event_types"] == ["order_placed"]
        view, order = viewed(), placed()
        shop = client.post("/v1/events", json={"events": [view]}, headers={"X-API-Key": SHOP})
        importer = client.post("/v1/events", json={"events": [order]},
                               headers={"X-API-Key": IMPORTER})
        assert (shop.status_code, importer.status_code) == (202, 202), (shop.text, importer.text)
        # and the other way: the importer's key may not report behaviour
        assert client.post("/v1/events", json={"events": [viewed()]},
                           headers={"X-API-Key": IMPORTER}).status_code == 403
    seen = asyncio.run(event_ids(broker.bootstrap, "commerce.events",
                                 {view["event_id"], order["event_id"]}))
    assert {view["event_id"], order["event_id"]} <= seen
    assert not {forged_view["event_id"], forged_order["event_id"]} & seen
