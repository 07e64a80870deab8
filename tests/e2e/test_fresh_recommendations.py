"""A user's clicks reach their recommendations through the real path: POST /v1/events →
broker → worker → online store → the model's live history, within seconds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import EmbeddedBroker, free_port
from tests.unit.serving.conftest import (
    FakeSource,
    generated_interactions,
    item_ids,
    serving_client,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def worker(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[None]:
    env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap,
           "AGORA_DATA_DIR": str(tmp_path), "AGORA_WORKER_APP_ID": f"w-{uuid.uuid4().hex[:8]}"}
    with (tmp_path / "worker.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "worker", "--web-port",
                                 str(free_port())], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        yield
        proc.terminate()
        proc.wait(20)


def viewed(user: str, product: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
            "session_id": f"s-{user}", "schema_version": 1,
            "product_id": product.removeprefix("product:"), "category": "books", "price": 9.0}


def books_share(client: TestClient, user: str) -> int:
    body = client.get(f"/v1/users/{user}/recommendations", params={"k": 10}).json()
    return sum(i["item_id"].startswith("product:books") for i in body["items"])


def test_clicks_move_the_list_within_seconds(broker, worker, tmp_path) -> None:
    from models.catalog import build

    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=broker.bootstrap,
                               model_poll_s=3600)
    source = FakeSource(aliases={"champion": "1"},
                        versions={"1": build("item_knn").fit(generated_interactions())})
    with serving_client(settings, source) as client:
        user = "u0"  # trained mostly on audio
        before = books_share(client, user)
        sent = client.post("/v1/events", json={"events": [viewed(user, p)
                                                          for p in item_ids("books")[:6]]})
        assert sent.status_code == 202, sent.text
        clicked = time.monotonic()
        while books_share(client, user) < max(before + 1, 5):
            assert time.monotonic() - clicked < 30, "the clicks never reached the list"
            time.sleep(0.2)
        body = client.get(f"/v1/users/{user}/recommendations", params={"k": 10}).json()
        assert body["strategy"] == "personalised" and not body["fallback"]
        # what the user just viewed is not recommended back to them
        viewed_items = set(item_ids("books")[:6])
        assert not viewed_items & {i["item_id"] for i in body["items"]}
