"""POST /v1/health/assessments with a health model trained and promoted in MLflow."""

from __future__ import annotations

import pytest

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.integration.serving.conftest import wait_until
from tests.unit.models.health_data import pima_like
from tests.unit.serving.conftest import STOREFRONT_KEY, serving_client

pytestmark = pytest.mark.integration

PATIENT = {"glucose": 148, "blood_pressure": 72, "bmi": 33.6, "age": 50, "pregnancies": 6}


def test_assessment_carries_risk_factors_and_limits(tmp_path, monkeypatch, caplog):
    from models.health.job import train_health

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings = ServingSettings(data_dir=tmp_path, mlflow_tracking_uri=uri, model_poll_s=0.5,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}")
    train_health("diabetes", settings=settings, dataset=pima_like(), repeats=1, promote=True,
                 progress=False)
    with serving_client(settings, None) as client:
        def loaded() -> bool:
            return "diabetes" in client.app.state.health_models.current

        wait_until(loaded, 60, "diabetes model loaded")
        r = client.post("/v1/health/assessments", json={"model": "diabetes", "inputs": PATIENT})
        assert r.status_code == 200, r.text
        body = r.json()
        assert 0.0 <= body["risk"] <= 1.0
        assert body["model"] == {"name": "agora-health-diabetes", "version": "1"}
        assert body["factors"] and {"feature", "value", "contribution"} <= set(body["factors"][0])
        assert any("cohort" in limit for limit in body["limits"])
        assert body["notice"].startswith("Not a diagnosis")
        for inputs, field in (({**PATIENT, "glucose": 900}, "glucose"),
                              ({**PATIENT, "age": 3}, "age"),
                              ({k: v for k, v in PATIENT.items() if k != "age"}, "age"),
                              ({**PATIENT, "cholesterol": 1}, "cholesterol")):
            bad = client.post("/v1/health/assessments",
                              json={"model": "diabetes", "inputs": inputs})
            assert bad.status_code == 422
            assert bad.json()["detail"][0]["loc"][-1] == field
        heart = client.post("/v1/health/assessments",
                            json={"model": "heart", "inputs": {"age": 60, "sex": 1}})
        assert heart.status_code == 503 and "heart" in heart.json()["detail"]
        storefront = client.post("/v1/health/assessments", headers={"X-API-Key": STOREFRONT_KEY},
                                 json={"model": "diabetes", "inputs": PATIENT})
        assert storefront.status_code == 403
    assert "148" not in caplog.text and "33.6" not in caplog.text  # no health datum in logs
