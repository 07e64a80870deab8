"""GET /v1/analytics/overview, the event stream, acknowledgement, and the page's assets."""

from __future__ import annotations

import re
import signal

import orjson
import pytest
from fastapi.testclient import TestClient

from serving.api import analytics
from serving.api.dashboard import STATIC


def test_overview_has_every_section_with_lag_and_nothing_missing(client: TestClient) -> None:
    body = client.get("/v1/analytics/overview").json()
    assert body["events_per_s"]["commerce"] == {"value": 11.0, "previous": 8.0, "period_s": 60.0}
    assert body["orders_per_min"] == {"value": 1.0, "previous": 1.0, "period_s": 60.0}
    assert body["consumer_lag"] == {"topics": {"commerce.events": 12}, "error": None}
    assert body["missing"] == ["models_in_service"]  # this app has no model registry
    assert body["low_stock"][0]["acknowledged"] is False


def test_the_stream_pushes_overviews_as_server_sent_events(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "STREAM_MAX_S", 0.5)  # a finite stream, so the client ends
    with client.stream("GET", "/v1/analytics/stream?interval=0.2") as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        text = "".join(resp.iter_text())
    assert text.startswith(f"retry: {analytics.RETRY_MS}\n\n")
    frames = re.findall(r"event: overview\ndata: (.*)\n\n", text)
    assert frames, text
    values = [orjson.loads(f)["orders_per_min"]["value"] for f in frames]
    assert values == sorted(values)


def test_the_stream_refuses_an_absurd_interval(client: TestClient) -> None:
    resp = client.get("/v1/analytics/stream?interval=0")
    assert resp.status_code == 422


def test_acknowledging_an_open_alert_marks_it(client: TestClient, fake) -> None:
    resp = client.post("/v1/analytics/alerts/low-stock/P1/ack")
    assert resp.status_code == 200
    assert fake.acks == {"P1": resp.json()["acknowledged_at"]}
    assert client.get("/v1/analytics/overview").json()["low_stock"][0]["acknowledged"] is True


def test_acknowledging_a_product_without_an_alert_is_404(client: TestClient) -> None:
    resp = client.post("/v1/analytics/alerts/low-stock/NOPE/ack")
    assert resp.status_code == 404
    assert "NOPE" in resp.json()["detail"]


def test_the_dashboard_page_and_its_assets_are_served(client: TestClient) -> None:
    page = client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        if src.startswith("data:"):
            continue
        assert src.startswith("/dashboard/assets/"), src
        assert client.get(src).status_code == 200, src


@pytest.mark.parametrize(
    "name", ["../routers/dashboard.py", "..%2F..%2Fapp.py", "nope.js", "vendor/uPlot.LICENSE"]
)
def test_only_shipped_assets_are_served(client: TestClient, name: str) -> None:
    assert client.get(f"/dashboard/assets/{name}").status_code == 404


def test_the_page_fetches_nothing_from_outside() -> None:
    """No CDN: every file the browser loads is shipped under serving/static."""
    for path in STATIC.rglob("*"):
        if path.suffix in {".html", ".js", ".css"} and "vendor" not in path.parts:
            text = path.read_text()
            assert not re.search(
                r"(?:src|href|url|fetch|EventSource)\(?\s*[\"']?(?:https?:)?//", text
            ), path


class FakeServer:
    should_exit = True

    def handle_exit(self, sig: int, frame: object) -> None:  # uvicorn's handler's shape
        pass


def test_streams_end_when_the_server_shuts_down(client: TestClient) -> None:
    """An open dashboard must not hold a shutdown (uvicorn waits for open responses)."""
    previous = signal.signal(signal.SIGTERM, FakeServer().handle_exit)
    try:
        assert analytics.server_exiting()
        with client.stream("GET", "/v1/analytics/stream") as resp:
            text = "".join(resp.iter_text())
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "event: overview" not in text
    assert not analytics.server_exiting()
