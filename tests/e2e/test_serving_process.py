"""`agora serve` as its own process: a champion from MLflow, answers from outside the process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import mlflow
import pytest

from launch.broker import free_port
from tests.unit.serving.conftest import generated_interactions

pytestmark = pytest.mark.e2e

KEY = "e2e-admin-key-0123456789"


def test_agora_serve_follows_the_champion(tmp_path):
    from models.catalog import build
    from models.registry import log_recommender, move_alias

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("e2e", artifact_location=str(tmp_path / "artifacts"))
    with mlflow.start_run(experiment_id=experiment):
        version = log_recommender(build("item_knn").fit(generated_interactions()),
                                  preset="item_knn", metrics={}).version
    move_alias("agora-recommender", version)
    port = free_port()
    env = {**os.environ, "AGORA_DATA_DIR": str(tmp_path), "AGORA_MLFLOW_TRACKING_URI": uri,
           "AGORA_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "AGORA_ADMIN_API_KEY": KEY,
           "AGORA_MODEL_POLL_S": "0.5", "AGORA_REDIS_URL": ""}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        body: dict = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"{base}/v1/users/u1/recommendations", params={"k": 5},
                                 headers={"X-API-Key": KEY}, timeout=5).json()
                if body.get("model", {}).get("version") == version:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert body["model"] == {"name": "agora-recommender", "version": version}, body
        assert len(body["items"]) == 5 and body["variant"] == "champion"
        assert httpx.get(f"{base}/v1/users/u1/recommendations").status_code == 401
        metrics = httpx.get(f"{base}/metrics").text
        assert "agora_http_request_duration_seconds_bucket" in metrics
        assert "agora_recommendation_events_dropped_total" in metrics  # no broker here
        ready = httpx.get(f"{base}/readyz").json()
        assert any("producer" in d for d in ready["degraded"])
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert KEY not in (tmp_path / "serve.log").read_text()
