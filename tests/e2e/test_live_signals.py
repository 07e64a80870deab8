"""Signals through the real path, counted as training counts them: an order placed with the
core's POST /v1/orders reaches the outbox, the relay, the broker and the worker, and the product
leaves that user's list; a downvote through POST /v1/events lowers the voted post's neighbours
in the user's list instead of raising them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import EmbeddedBroker
from models.catalog import build
from models.interactions import Interactions
from tests.e2e.test_fresh_recommendations import worker  # noqa: F401 (a fixture)
from tests.unit.serving.conftest import (
    CATEGORIES,
    FakeSource,
    generated_interactions,
    item_ids,
    serving_client,
)

pytestmark = pytest.mark.e2e
URL = "/v1/users/{}/recommendations"
TOPICS = ("cats", "dogs")


def with_posts(base: Interactions, seed: int = 3) -> Interactions:
    """The serving tests' products, plus posts in two topics; `both` reads both topics."""
    rng = np.random.default_rng(seed)
    rows = [(str(base.user_ids[r]), str(base.item_ids[c]))
            for r, c in zip(*base.matrix.nonzero(), strict=True)]
    for u in range(len(base.user_ids)):
        topic = TOPICS[u % 2]
        rows += [(f"u{u}", f"post:{topic}{int(n)}")
                 for n in rng.choice(20, size=4, replace=False)]
    rows += [("both", f"post:{topic}{n}") for topic in TOPICS for n in range(3)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id"])
    categories = {i: c for c in CATEGORIES for i in item_ids(c)}
    return Interactions.from_frame(frame, weight_col=None, item_categories=categories)


@pytest.fixture
def client(broker: EmbeddedBroker, worker: None, tmp_path: Path  # noqa: F811
           ) -> Iterator[TestClient]:
    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=broker.bootstrap,
                               model_poll_s=3600)
    model = build("item_knn").fit(with_posts(generated_interactions()))
    with serving_client(settings, FakeSource(aliases={"champion": "1"},
                                             versions={"1": model})) as c:
        yield c


@pytest.fixture
def relay(broker: EmbeddedBroker, client: TestClient, tmp_path: Path) -> Iterator[None]:
    """`agora relay` on the core database the API just migrated."""
    env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": broker.bootstrap,
           "AGORA_DATA_DIR": str(tmp_path),
           "AGORA_DATABASE_URL": f"sqlite:///{tmp_path / 'core.db'}"}
    with (tmp_path / "relay.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "relay"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        yield
        proc.terminate()
        proc.wait(20)


def listed(client: TestClient, user: str, **params: object) -> list[str]:
    r = client.get(URL.format(user), params={"k": 10, **params})
    assert r.status_code == 200, r.text
    assert not r.json()["fallback"], r.json()
    return [i["item_id"] for i in r.json()["items"]]


def test_an_order_through_the_core_removes_the_product_from_the_list(
        client: TestClient, relay: None) -> None:
    user = "u0"
    top = listed(client, user, kind="product")[0]
    sku = top.removeprefix("product:")
    product = {"sku": sku, "title": f"Item {sku}", "category": "audio",
               "price": {"amount": "9.99", "currency": "USD"}}
    assert client.post("/v1/catalog/products", json=product).status_code == 201
    assert client.post(f"/v1/inventory/{sku}/restock", json={"quantity": 5}).status_code == 200
    order = client.post("/v1/orders", json={"user_id": user, "currency": "USD",
                                            "lines": [{"product_id": sku, "quantity": 1}]})
    assert order.status_code == 201, order.text
    placed = time.monotonic()
    while top in listed(client, user, kind="product", k=100):
        assert time.monotonic() - placed < 45, "the order never reached the user's list"
        time.sleep(0.3)
    # bought, not forgotten: asked for, it may come back
    assert top in listed(client, user, kind="product", k=100, include_consumed="true")


def downvote(user: str, post: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": "vote_cast",
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
            "session_id": f"s-{user}", "schema_version": 1,
            "target_id": post.removeprefix("post:"), "target_type": "post", "value": -1}


def dog_ranks(items: list[str]) -> list[int]:
    return [n for n, i in enumerate(items) if i.startswith("post:dogs")]


def test_a_downvote_lowers_the_neighbours_of_the_post(client: TestClient) -> None:
    user = "both"  # trained on three cat posts and three dog posts
    before = listed(client, user, kind="post", k=12)
    assert dog_ranks(before) and len(dog_ranks(before)) < 12
    sent = client.post("/v1/events", json={"events": [downvote(user, "post:dogs0")]})
    assert sent.status_code == 202, sent.text
    voted = time.monotonic()
    while True:
        after = listed(client, user, kind="post", k=12)
        if after != before:
            break
        assert time.monotonic() - voted < 30, "the downvote never reached the list"
        time.sleep(0.2)
    # dog posts moved down (or out), never up
    assert len(dog_ranks(after)) <= len(dog_ranks(before))
    assert all(a >= b for a, b in zip(dog_ranks(after), dog_ranks(before), strict=False))
    assert sum(dog_ranks(after)) + 12 * (len(dog_ranks(before)) - len(dog_ranks(after))) \
        > sum(dog_ranks(before))
