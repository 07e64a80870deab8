"""Rate limits, body limits, request ids, metrics, events validation (no broker)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from serving.app import create_app
from serving.edge.rate_limit import budget
from tests.unit.serving.conftest import OPS_KEY, STOREFRONT_KEY, serving_client


def viewed(**overrides):
    event = {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
             "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u1",
             "product_id": "85123A", "category": "home", "price": 2.55}
    return {**event, **overrides}


def test_budget_is_the_burst_over_a_window_of_the_average_rate():
    assert (budget(per_s=2000, burst=4000).amount, budget(per_s=2000, burst=4000).multiples) \
        == (4000, 2)
    assert budget(per_s=1e9, burst=4000).amount == 10**9  # "unlimited" stays unlimited
    tiny = budget(per_s=0.01, burst=2)
    assert (tiny.amount, tiny.get_expiry()) == (2, 200)


def test_rate_limit_answers_429_with_retry_after(settings, source):
    settings = settings.model_copy(update={"rate_limit_per_s": 0.01, "rate_limit_burst": 2})
    with serving_client(settings, source) as client:
        headers = {"X-API-Key": STOREFRONT_KEY}
        codes = [client.get("/v1/users/u1/recommendations", headers=headers).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = client.get("/v1/users/u1/recommendations", headers=headers)
        assert int(refused.headers["retry-after"]) >= 1
        assert "rate limit" in refused.json()["detail"]
        other = client.get("/v1/users/u1/recommendations", headers={"X-API-Key": OPS_KEY})
        assert other.status_code == 403  # its own bucket; refused for its scope, not its rate
        assert client.get("/healthz").status_code == 200


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-1"}).headers[
        "x-request-id"] == "abc-1"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\twith junk"})
    assert len(made.headers["x-request-id"]) == 32


def test_events_validation_names_each_bad_event(client):
    batch = [viewed(), viewed(price=-1), {"event_type": "nope"}, viewed(event_id="x")]
    r = client.post("/v1/events", json={"events": batch})
    assert r.status_code == 422
    errors = {e["index"]: e["field"] for e in r.json()["detail"]}
    assert errors == {1: "price", 2: "event_type", 3: "event_id"}


def test_events_batch_and_body_limits(client, settings):
    r = client.post("/v1/events", json={"events": [viewed() for _ in range(501)]})
    assert r.status_code == 413 and "500" in r.json()["detail"]
    huge = b'{"events": [' + b'{"x": "' + b"a" * (settings.max_body_bytes + 10) + b'"}]}'
    r = client.post("/v1/events", content=huge, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"]
    assert client.post("/v1/events", json={"events": []}).status_code == 422
    assert client.post("/v1/events", content=b"not json",
                       headers={"content-type": "application/json"}).status_code == 422


def test_events_without_broker_answer_503_not_500(client):
    r = client.post("/v1/events", json={"events": [viewed()]})
    assert r.status_code == 503
    assert r.headers["retry-after"] and "broker" in r.json()["detail"]


def test_metrics_by_route_template(client):
    client.get("/v1/users/u1/recommendations")
    client.get("/v1/users/u2/recommendations", params={"k": 0})
    text = client.get("/metrics").text
    assert ('agora_http_requests_total{endpoint="/v1/users/{user_id}/recommendations",'
            'method="GET",status="200"} 1.0') in text
    assert 'status="422"' in text
    assert "agora_http_request_duration_seconds_bucket" in text
    assert 'agora_model_info{alias="champion",name="agora-recommender",version="1"} 1.0' in text
    assert "/v1/users/u1" not in text


def test_fallback_counter(client, source):
    source.aliases.clear()
    client.post("/v1/models/reload")
    client.get("/v1/users/u1/recommendations")
    text = client.get("/metrics").text
    assert 'agora_recommendation_fallbacks_total{reason="model-unavailable"} 1.0' in text
    assert "agora_model_info{" not in text


def test_cors_is_configurable(settings, source):
    settings = settings.model_copy(update={"cors_origins": ["https://shop.example"]})
    with TestClient(create_app(settings)) as client:
        r = client.options("/v1/trending", headers={
            "Origin": "https://shop.example", "Access-Control-Request-Method": "GET"})
        assert r.headers["access-control-allow-origin"] == "https://shop.example"
        r = client.options("/v1/trending", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in r.headers


def test_scopes(client):
    path = "/v1/users/u1/recommendations"
    assert client.get(path, headers={"X-API-Key": STOREFRONT_KEY}).status_code == 200
    denied = client.get(path, headers={"X-API-Key": OPS_KEY})
    assert denied.status_code == 403 and "storefront" in denied.json()["detail"]
    assert client.get(path, headers={"X-API-Key": "no-such-key-at-all"}).status_code == 401
    anonymous = client.get(path, headers={"X-API-Key": ""})
    assert anonymous.status_code == 401 and anonymous.json()["detail"]
    assert client.get("/v1/models", headers={"X-API-Key": STOREFRONT_KEY}).status_code == 403
    assert client.post("/v1/events", json={"events": [viewed()]},
                       headers={"X-API-Key": OPS_KEY}).status_code == 403
