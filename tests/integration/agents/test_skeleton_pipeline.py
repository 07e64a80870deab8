"""The walking skeleton end to end: aiokafka → real broker → real worker → store → API."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import EmbeddedBroker, free_port
from serving.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Path]:
    env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap,
           "AGORA_DATA_DIR": str(tmp_path), "AGORA_WORKER_APP_ID": f"w-{uuid.uuid4().hex[:8]}"}
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "worker", "--web-port",
                             str(free_port())], env=env, stdout=log, stderr=subprocess.STDOUT)
    yield tmp_path
    proc.terminate()
    proc.wait(20)
    log.close()


def viewed(product: str) -> bytes:
    # A plain JSON value from any Kafka client: no key, no Faust envelope.
    return orjson.dumps({"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
                         "occurred_at": datetime.now(UTC).isoformat(), "user_id": None,
                         "session_id": None, "schema_version": 1, "product_id": product,
                         "category": "test", "price": 1.0})


async def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def dead_letters(bootstrap: str, marker: str, timeout_s: float) -> list[dict]:
    consumer = AIOKafkaConsumer("events.dead_letter", bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[dict] = []
    try:
        deadline = time.monotonic() + timeout_s
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            found += [orjson.loads(m.value) for ms in batches.values() for m in ms
                      if marker.encode() in m.value]
    finally:
        await consumer.stop()
    return found


def wait_for_item(client: TestClient, item: str, timeout_s: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        items = client.get("/v1/trending", params={"domain": "commerce", "k": 100}).json()["items"]
        if any(i["item_id"] == item for i in items):
            return items
        time.sleep(0.3)
    raise AssertionError(f"{item} never appeared in /v1/trending")


def test_events_reach_trending_and_bad_ones_the_dead_letter_topic(broker, worker) -> None:
    settings = ServingSettings(data_dir=worker, kafka_bootstrap=broker.bootstrap)
    product = f"X{uuid.uuid4().hex[:8]}"
    with TestClient(create_app(settings)) as client:
        before = client.get("/v1/trending", params={"domain": "commerce", "k": 100}).json()
        assert all(i["item_id"] != f"product:{product}" for i in before["items"])

        asyncio.run(produce(broker.bootstrap, "commerce.events", [viewed(product)] * 3))
        items = wait_for_item(client, f"product:{product}")
        assert next(i for i in items if i["item_id"] == f"product:{product}")["score"] > 0

        marker = uuid.uuid4().hex
        garbage = b'{"event_type": "product_viewed", "oops": "%s"' % marker.encode()
        later = f"Y{uuid.uuid4().hex[:8]}"
        asyncio.run(produce(broker.bootstrap, "commerce.events", [garbage, viewed(later)]))
        letters = asyncio.run(dead_letters(broker.bootstrap, marker, 30))
        assert letters, "malformed event never reached events.dead_letter"
        assert letters[0]["original"] == garbage.decode()
        assert letters[0]["source"]["topic"] == "commerce.events"
        assert letters[0]["error"]
        # The worker kept going after the bad event.
        wait_for_item(client, f"product:{later}")

        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"store": "ok", "broker": "ok"}


def test_bad_query_parameters_are_named(tmp_path) -> None:
    with TestClient(create_app(ServingSettings(data_dir=tmp_path))) as client:
        for params, field in (({"domain": "weather"}, "domain"),
                              ({"domain": "commerce", "window": "2d"}, "window"),
                              ({"domain": "commerce", "k": 0}, "k"),
                              ({}, "domain")):
            resp = client.get("/v1/trending", params=params)
            assert resp.status_code == 422
            assert [e["loc"][-1] for e in resp.json()["detail"]] == [field]


def test_readyz_reports_a_missing_broker(tmp_path) -> None:
    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}",
                               readiness_timeout_s=0.5)
    with TestClient(create_app(settings)) as client:
        resp = client.get("/readyz")
        assert resp.status_code == 503
        assert resp.json()["checks"]["store"] == "ok"
        assert resp.json()["checks"]["broker"].startswith("unavailable")
        assert client.get("/healthz").status_code == 200
        assert client.get("/openapi.json").json()["paths"]["/v1/trending"]
