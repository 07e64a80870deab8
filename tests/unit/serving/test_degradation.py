"""Never a 500: no model, a failing model, a dead store; each says so in a header."""

from __future__ import annotations

import numpy as np

from features.online import StoreUnavailable
from tests.unit.serving.conftest import serving_client


class BrokenModel:
    """Loads fine, fails on every request."""

    item_ids = np.asarray(["product:a"], dtype=object)

    def popularity_scores(self):
        return np.ones(1)

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise RuntimeError("boom")
        return fail


class DeadStore:
    """Every read fails the way a stopped Redis does."""

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            raise StoreUnavailable("connection refused")
        return fail


def test_no_model_serves_popular_with_a_header(client, source):
    source.aliases.clear()
    client.post("/v1/models/reload")
    r = client.get("/v1/users/u1/recommendations", params={"k": 5})
    assert r.status_code == 200
    assert r.headers["x-agora-fallback"] == "model-unavailable"
    assert r.json()["model"] == {"name": None, "version": None}
    ready = client.get("/readyz").json()
    assert any("no champion" in d for d in ready["degraded"])
    assert ready["models"]["champion"] == "missing"
    assert client.get("/v1/items/product:books1/similar").status_code == 200
    ranked = client.post("/v1/rank", json={"user_id": "u1", "candidates": ["product:a"]})
    assert ranked.status_code == 200 and ranked.headers["x-agora-fallback"] == "model-unavailable"


def test_model_that_raises_falls_back(client, source):
    source.versions["2"] = BrokenModel()
    source.aliases["champion"] = "2"
    client.post("/v1/models/reload")
    for path in ("/v1/users/u1/recommendations", "/v1/items/product:books1/similar"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "model-error" in r.headers["x-agora-fallback"]
    r = client.post("/v1/rank", json={"user_id": "u1", "candidates": ["product:books1"]})
    assert r.status_code == 200 and "model-error" in r.headers["x-agora-fallback"]


def test_a_version_that_fails_to_load_leaves_the_old_one_serving(client, source):
    source.aliases["champion"] = "404"
    client.post("/v1/models/reload")
    r = client.get("/v1/users/u1/recommendations")
    assert r.status_code == 200 and r.json()["model"]["version"] == "1"
    assert "failed to load" in client.get("/v1/models").json()["models"][0]["status"]


def test_dead_store_degrades_but_answers(settings, source):
    with serving_client(settings, source) as client:
        app = client.app
        dead = DeadStore()
        app.state.recommendations._signals._store = dead
        app.state.recommendations._popular._store = dead
        for params in ({"k": 5}, {"k": 5, "in_stock": "true"}):
            r = client.get("/v1/users/u1/recommendations", params=params)
            assert r.status_code == 200
            assert "store-unavailable" in r.headers["x-agora-fallback"]
            assert len(r.json()["items"]) == 5
        cold = client.get("/v1/users/stranger/recommendations", params={"k": 5})
        assert cold.status_code == 200 and len(cold.json()["items"]) == 5
        assert "store-unavailable" in cold.headers["x-agora-fallback"]
