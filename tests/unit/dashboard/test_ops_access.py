"""Analytics and the dashboard: open in the demo; behind the `ops` scope in production, with a
one-time browser sign-in by cookie (an EventSource cannot send headers)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import free_port
from serving.app import create_app
from serving.edge.auth import KeyRing, static_keys

OPS, SHOP = "ops-key-0123456789abcdef", "shop-key-0123456789abcdef"


def client(tmp_path, *, public: bool) -> TestClient:
    settings = ServingSettings(data_dir=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}",
                               model_poll_s=3600, analytics_public=public)
    return TestClient(create_app(settings))


def keys(c: TestClient) -> None:
    c.app.state.api_keys = KeyRing(static=static_keys(  # type: ignore[attr-defined]
        [("ops", OPS, ["ops"]), ("shop", SHOP, ["storefront"])]))


def test_public_analytics_need_no_key(tmp_path) -> None:
    with client(tmp_path, public=True) as c:
        assert c.get("/v1/analytics/overview").status_code == 200
        assert c.get("/dashboard").status_code == 200


def test_production_analytics_need_the_ops_scope(tmp_path) -> None:
    with client(tmp_path, public=False) as c:
        keys(c)
        assert c.get("/v1/analytics/overview").status_code == 401
        assert c.get("/dashboard").status_code == 401
        assert c.get("/v1/analytics/overview", headers={"X-API-Key": SHOP}).status_code == 403
        assert c.get("/v1/analytics/overview", headers={"X-API-Key": OPS}).status_code == 200
        assert c.get("/v1/analytics/metrics").status_code == 200  # scraped like /metrics


def test_a_browser_signs_in_once_with_a_cookie(tmp_path) -> None:
    with client(tmp_path, public=False) as c:
        keys(c)
        assert c.get("/dashboard", params={"key": SHOP}).status_code == 401
        signed = c.get("/dashboard", params={"key": OPS}, follow_redirects=False)
        assert signed.status_code == 303 and signed.headers["location"] == "/dashboard"
        assert "httponly" in signed.headers["set-cookie"].lower()
        assert c.get("/dashboard").status_code == 200  # the cookie now goes with each request
        assert c.get("/v1/analytics/overview").status_code == 200
