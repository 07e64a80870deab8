"""Events through the real broker: 202 only after the ack, and recommendation events back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from agora.settings import ServingSettings
from tests.integration.serving.conftest import wait_until
from tests.unit.serving.conftest import FakeSource, generated_interactions, serving_client

pytestmark = [pytest.mark.integration, pytest.mark.own_broker]


async def read_topic(bootstrap: str, topic: str, want: set[str], key: str,
                     timeout_s: float = 30.0) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[dict] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while want - {f[key] for f in found} and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    value = orjson.loads(record.value)
                    if value.get(key) in want:
                        found.append(value)
    finally:
        await consumer.stop()
    return found


def test_events_acknowledged_and_recommendations_flow_back(broker, tmp_path):
    from models.catalog import build

    source = FakeSource(aliases={"champion": "1"},
                        versions={"1": build("item_knn").fit(generated_interactions())})
    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=broker.bootstrap,
                               model_poll_s=3600)
    with serving_client(settings, source) as client:
        app = client.app
        wait_until(lambda: app.state.publisher.available, 30, "producer connected")
        ids = [str(uuid.uuid4()) for _ in range(3)]
        events = [{"event_id": i, "event_type": "product_viewed",
                   "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u7",
                   "product_id": f"p{n}", "category": "books", "price": 3.0}
                  for n, i in enumerate(ids)]
        clicked_id = str(uuid.uuid4())
        r = client.post("/v1/events", json={"events": events})
        assert r.status_code == 202, r.text
        assert r.json()["accepted"] == 3
        rec = client.get("/v1/users/u7/recommendations", params={"k": 3, "surface": "pdp"})
        request_id = rec.json()["request_id"]
        clicked = {"event_id": clicked_id, "event_type": "recommendation_clicked",
                   "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u7",
                   "request_id": request_id, "item_id": rec.json()["items"][0]["item_id"]}
        assert client.post("/v1/events", json={"events": [clicked]}).status_code == 202
        ready = client.get("/readyz").json()
        assert ready["checks"]["broker"] == "ok"
    got = asyncio.run(read_topic(broker.bootstrap, "commerce.events", set(ids), "event_id"))
    assert {g["event_id"] for g in got} == set(ids)
    served = asyncio.run(read_topic(broker.bootstrap, "recommendation.events",
                                    {request_id}, "request_id"))
    kinds = {s["event_type"] for s in served}
    assert kinds == {"recommendation_served", "recommendation_clicked"}
    first = next(s for s in served if s["event_type"] == "recommendation_served")
    assert first["model"] == "agora-recommender@1" and first["variant"] == "champion"
    assert first["surface"] == "pdp" and len(first["items"]) == 3


def test_queued_recommendation_events_are_sent_before_shutdown(broker):
    from contracts.events import RecommendationServed
    from serving.publisher import EventPublisher

    drops: list[int] = []
    ids = [str(uuid.uuid4()) for _ in range(2_000)]

    async def serve_then_stop() -> None:
        publisher = EventPublisher(bootstrap=broker.bootstrap, timeout_s=10.0,
                                   on_drop=lambda: drops.append(1))
        await publisher.start()
        for _ in range(600):  # up to 30 s for the producer to connect
            if publisher.available:
                break
            await asyncio.sleep(0.05)
        for request_id in ids:
            publisher.publish_soon(RecommendationServed(
                event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), user_id="u1",
                request_id=request_id, surface="home", items=("product:p1",),
                model="m@1", variant="champion"))
        await publisher.stop()  # right away: the queue is still full

    asyncio.run(serve_then_stop())
    assert drops == []
    got = asyncio.run(read_topic(broker.bootstrap, "recommendation.events", set(ids),
                                 "request_id"))
    assert {g["request_id"] for g in got} == set(ids)
