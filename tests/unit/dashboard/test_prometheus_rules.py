"""deploy/prometheus: promtool accepts the config and the rules, and the rules' own tests pass."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[3] / "deploy" / "prometheus"
EXPECTED_ALERTS = {
    "AgoraConsumerLagHigh",
    "AgoraConsumerLagCritical",
    "AgoraDeadLetterRateHigh",
    "AgoraWorkerDown",
    "AgoraApiErrorRateHigh",
    "AgoraApiP99LatencyHigh",
    "AgoraApiDown",
    "AgoraRelayBacklogHigh",
    "AgoraRelayDatabaseDown",
    "AgoraTrainerDown",
    "AgoraModelStale",
    "AgoraTrainerFailing",
}


def promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    reason = "promtool is not installed (Debian: apt-get install prometheus)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


def run(*args: str, cwd: Path = PROMETHEUS) -> str:
    result = subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_promtool_accepts_the_alerting_rules() -> None:
    assert f"SUCCESS: {len(EXPECTED_ALERTS)} rules found" in run("check", "rules", "alerts.yml")


def test_promtool_accepts_the_scrape_config(tmp_path: Path) -> None:
    # promtool opens the key file compose mounts as a secret: give it one
    secret = "/run/secrets/ops_api_key"
    (tmp_path / "ops_api_key").write_text("k" * 32)
    text = (PROMETHEUS / "prometheus.yml").read_text()
    assert secret in text
    (tmp_path / "prometheus.yml").write_text(text.replace(secret, "ops_api_key"))
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path / "alerts.yml")
    run("check", "config", "prometheus.yml", cwd=tmp_path)


def test_every_alert_fires_when_it_should_and_not_otherwise() -> None:
    run("test", "rules", "alerts.test.yml")


def test_the_rules_cover_lag_dead_letters_errors_and_latency() -> None:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"]}
    assert alerts == EXPECTED_ALERTS


def test_prometheus_scrapes_the_api_and_the_worker_of_compose() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {
        job["job_name"]: (job["static_configs"][0]["targets"], job.get("metrics_path"))
        for job in config["scrape_configs"]
    }
    assert jobs["agora-api"] == (["api:8000"], "/metrics")
    assert jobs["agora-analytics"] == (["api:8000"], "/v1/analytics/metrics")
    assert jobs["agora-worker"] == (["worker:6066", "worker-2:6066"], "/metrics")
