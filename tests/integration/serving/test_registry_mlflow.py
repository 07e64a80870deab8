"""Following the MLflow registry: a new champion promoted mid-traffic, the alias removed."""

from __future__ import annotations

import threading

import mlflow
import pytest
from mlflow import MlflowClient

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.integration.serving.conftest import wait_until
from tests.unit.serving.conftest import generated_interactions, serving_client

pytestmark = pytest.mark.integration

NAME = "agora-recommender"


def register(preset: str, seed: int) -> str:
    from models.catalog import build
    from models.registry import log_recommender

    model = build(preset).fit(generated_interactions(seed=seed))
    with mlflow.start_run():
        return log_recommender(model, preset=preset, metrics={}, registered_name=NAME).version


@pytest.fixture
def tracking_uri(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    # An experiment of this store, with its artifacts here: the process-wide active
    # experiment may be another test's, and Default's artifacts would land in ./mlruns.
    mlflow.set_experiment(experiment_id=mlflow.create_experiment(
        "serving-tests", artifact_location=str(tmp_path / "artifacts")))
    yield uri
    mlflow.set_tracking_uri(previous)


def test_champion_is_followed_without_restart(tmp_path, tracking_uri):
    client_ml = MlflowClient()
    v1 = register("item_knn", 1)
    client_ml.set_registered_model_alias(NAME, "champion", v1)
    v2 = register("popularity", 2)
    settings = ServingSettings(data_dir=tmp_path, mlflow_tracking_uri=tracking_uri,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=0.2)
    with serving_client(settings, None) as client:
        def version() -> str | None:
            return client.get("/v1/users/u1/recommendations").json()["model"]["version"]

        wait_until(lambda: version() == v1, 60, "champion v1 loaded")
        statuses: list[int] = []
        versions: set[str | None] = set()
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                r = client.get("/v1/users/u3/recommendations", params={"k": 5})
                statuses.append(r.status_code)
                versions.add(r.json()["model"]["version"])
                if r.headers.get("x-agora-fallback"):
                    statuses.append(-1)

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            client_ml.set_registered_model_alias(NAME, "champion", v2)  # promoted mid-load
            wait_until(lambda: version() == v2, 60, "champion v2 in service")
        finally:
            stop.set()
            thread.join(30)
        assert statuses and set(statuses) == {200}, "a request failed or fell back in the swap"
        assert versions <= {v1, v2}
        metrics = client.get("/metrics").text
        assert f'agora_model_info{{alias="champion",name="{NAME}",version="{v2}"}} 1.0' in metrics

        client_ml.delete_registered_model_alias(NAME, "champion")  # the model is removed
        wait_until(lambda: version() is None, 30, "champion out of service")
        r = client.get("/v1/users/u1/recommendations")
        assert r.status_code == 200 and r.headers["x-agora-fallback"] == "model-unavailable"
        assert any("no champion" in d for d in client.get("/readyz").json()["degraded"])


def test_challenger_takes_its_share(tmp_path, tracking_uri):
    client_ml = MlflowClient()
    v1 = register("item_knn", 1)
    v2 = register("popularity", 2)
    client_ml.set_registered_model_alias(NAME, "champion", v1)
    client_ml.set_registered_model_alias(NAME, "challenger", v2)
    settings = ServingSettings(data_dir=tmp_path, mlflow_tracking_uri=tracking_uri,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=3600,
                               challenger_share=0.5)
    with serving_client(settings, None) as client:
        client.post("/v1/models/reload")
        seen = {}
        for n in range(60):
            body = client.get(f"/v1/users/user{n}/recommendations").json()
            seen[body["variant"]] = body["model"]["version"]
            again = client.get(f"/v1/users/user{n}/recommendations").json()
            assert again["variant"] == body["variant"]  # stable per user
        assert seen == {"champion": v1, "challenger": v2}
