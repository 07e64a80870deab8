"""deploy/grafana: provisioning points at the dashboard, which charts the page's figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from serving.analytics.exposition import render

from .test_exposition import full_overview

GRAFANA = Path(__file__).resolve().parents[3] / "deploy" / "grafana"
# Metrics that other processes expose (the API's serving/edge/metrics.py, the worker's /metrics).
OTHER_METRICS = {
    "agora_http_requests_total",
    "agora_http_request_duration_seconds_bucket",
    "agora_model_info",
    "agora_worker_events_total",
    "agora_worker_dead_letters_total",
    "agora_worker_processing_seconds_bucket",
    "agora_worker_freshness_seconds_bucket",
    "agora_worker_state_entries",
    "agora_worker_consumer_lag",
}


def dashboard() -> dict:
    return json.loads((GRAFANA / "dashboards" / "agora.json").read_text())


def exprs() -> list[str]:
    return [t["expr"] for p in dashboard()["panels"] for t in p.get("targets", [])]


def test_the_datasource_and_the_dashboard_folder_are_provisioned() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "agora.yml").read_text())[
        "providers"
    ][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    uid = ds["datasources"][0]["uid"]
    for panel in dashboard()["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]


def test_every_figure_of_the_page_has_a_panel() -> None:
    exposed = set(re.findall(r"^# TYPE (\w+) gauge", render(full_overview()).decode(), re.M))
    used = {name for e in exprs() for name in re.findall(r"agora_\w+", e)}
    assert exposed - {"agora_analytics_model_in_service"} <= used
    assert used <= exposed | OTHER_METRICS, used - exposed - OTHER_METRICS


def test_panels_do_not_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, panel["title"]
        cells |= mine
