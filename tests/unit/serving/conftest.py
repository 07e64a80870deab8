"""Serving tests: a real model (item-kNN on generated data) behind a fake registry source."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import free_port
from models.catalog import build
from models.interactions import Interactions
from serving.app import create_app
from serving.edge.auth import KeyRing, static_keys
from serving.recommend.model_registry import ModelMissing
from serving.recommend.served import ServableModel

CATEGORIES = ("audio", "books")
ITEMS_PER_CATEGORY = 40


def item_ids(category: str) -> list[str]:
    return [f"product:{category}{i}" for i in range(ITEMS_PER_CATEGORY)]


def categories(body) -> list[str]:
    """The category of each product in a recommendation answer."""
    return [i["item_id"].removeprefix("product:").rstrip("0123456789") for i in body["items"]]


def generated_interactions(seed: int = 7, users: int = 300) -> Interactions:
    """Each user mostly touches one category; a few podcast episodes on the side."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        home = CATEGORIES[u % 2]
        for item in rng.choice(item_ids(home), size=8, replace=False):
            rows.append((f"u{u}", str(item)))
        other = CATEGORIES[(u + 1) % 2]
        rows.append((f"u{u}", str(rng.choice(item_ids(other)))))
        if u % 3 == 0:
            rows.append((f"u{u}", f"episode:e{u % 10}"))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id"])
    categories = {i: c for c in CATEGORIES for i in item_ids(c)}
    return Interactions.from_frame(frame, weight_col=None, item_categories=categories)


@pytest.fixture(scope="session")
def knn_model() -> ServableModel:
    return build("item_knn").fit(generated_interactions())


@pytest.fixture(scope="session")
def popularity_model() -> ServableModel:
    return build("popularity").fit(generated_interactions(seed=9))


@dataclass
class FakeSource:
    """A registry in memory: aliases point to versions, versions to models."""

    name: str = "agora-recommender"
    aliases: dict[str, str] = field(default_factory=dict)
    versions: dict[str, ServableModel] = field(default_factory=dict)
    loads: int = 0

    def version_of(self, alias: str) -> str:
        if alias not in self.aliases:
            raise ModelMissing(alias)
        return self.aliases[alias]

    def load(self, version: str) -> ServableModel:
        self.loads += 1
        return self.versions[version]


@pytest.fixture
def source(knn_model: ServableModel) -> FakeSource:
    return FakeSource(aliases={"champion": "1"}, versions={"1": knn_model})


@pytest.fixture
def settings(tmp_path) -> ServingSettings:
    return ServingSettings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}",
                           model_poll_s=3600, redis_url=None)


STOREFRONT_KEY = "storefront-key-0123456789"
OPS_KEY = "ops-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"


def install_keys(app: FastAPI) -> None:
    """Static keys for tests (the core's key ring looks them up in its database otherwise)."""
    app.state.api_keys = KeyRing(static=static_keys([
        ("storefront", STOREFRONT_KEY, ["storefront"]), ("ops", OPS_KEY, ["ops"]),
        ("admin", ADMIN_KEY, ["*"])]))


def app_state(client: TestClient) -> Any:
    """The app's state (TestClient types its app as a bare ASGI callable)."""
    return cast(FastAPI, client.app).state


@contextmanager
def serving_client(settings: ServingSettings, source: FakeSource | None) -> Iterator[TestClient]:
    """The app with a fake registry, test keys, and the admin key on every request."""
    app = create_app(settings)
    if source is not None:
        app.state.model_source = source
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as c:
        install_keys(app)
        c.post("/v1/models/reload")
        yield c


@pytest.fixture
def client(settings: ServingSettings, source: FakeSource) -> Iterator[TestClient]:
    with serving_client(settings, source) as c:
        yield c
