"""Redis stopped under the API: answers keep coming, flagged, and /readyz says why."""

from __future__ import annotations

import pytest

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.unit.serving.conftest import FakeSource, generated_interactions, serving_client

pytestmark = pytest.mark.integration


def test_redis_stopped_mid_traffic(tmp_path, own_redis):
    from models.catalog import build

    source = FakeSource(aliases={"champion": "1"},
                        versions={"1": build("item_knn").fit(generated_interactions())})
    settings = ServingSettings(data_dir=tmp_path, redis_url=own_redis.url, model_poll_s=3600,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}",
                               readiness_timeout_s=0.5)
    with serving_client(settings, source) as client:
        ok = client.get("/v1/users/u1/recommendations", params={"k": 5})
        assert ok.status_code == 200 and "x-agora-fallback" not in ok.headers
        assert client.get("/readyz").json()["checks"]["store"] == "ok"
        own_redis.stop()
        for path, params in (("/v1/users/u1/recommendations", {"k": 5}),
                             ("/v1/users/new-user/recommendations", {"k": 5}),
                             ("/v1/users/u1/recommendations", {"k": 5, "in_stock": "true"}),
                             ("/v1/items/product:books2/similar", {"k": 5}),
                             ("/v1/trending", {"domain": "commerce"})):
            r = client.get(path, params=params)
            assert r.status_code in (200, 503), (path, r.status_code)
            if path != "/v1/trending":
                assert r.status_code == 200, path
                assert len(r.json()["items"]) == 5, path
        r = client.get("/v1/users/u1/recommendations", params={"k": 5})
        assert "store-unavailable" in r.headers["x-agora-fallback"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["store"].startswith("unavailable")
