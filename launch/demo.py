"""`agora demo`: broker, worker, API, relay, simulator and trainer as child processes, stopped
together.

Children die with the demo even on SIGKILL (launch.children), and on Ctrl-C or SIGTERM
they are stopped in reverse order of start: traffic first, the broker last.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from agora.settings import LaunchSettings
from launch.broker import free_port
from launch.children import Children, die_with_parent, http_ok
from launch.signals import stop_on_signals

ROOT = Path(__file__).resolve().parents[1]


def _wait_until(check: Callable[[], bool], timeout_s: float, what: str,
                children: Children) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if (name := children.dead()) is not None:
            raise RuntimeError(f"{name} exited during start-up")
        time.sleep(0.2)
    raise TimeoutError(f"{what} did not start within {timeout_s:.0f}s")


def _champion_version(api: str, key: str) -> str | None:
    """The model version the API serves, or None (no model yet, or the API is busy)."""
    request = urllib.request.Request(f"{api}/v1/users/u1/recommendations?k=1",
                                     headers={"X-API-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            version = json.loads(response.read())["model"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None if version is None else str(version)


def health_datasets(settings: LaunchSettings) -> Path | None:
    """The health datasets (AGORA_DATASETS, else ../shared/datasets or ../datasets beside the
    project) if present."""
    for candidate in (settings.datasets, ROOT.parent / "shared" / "datasets",
                      ROOT.parent / "datasets"):
        if candidate and (Path(candidate) / "pima-diabetes").exists():
            return Path(candidate).resolve()
    return None


def run_demo(*, broker_port: int, api_port: int, rate: float, seed: int,
             train_after_s: float = 45.0, retrain_every_s: float = 300.0,
             retrain_after_events: int = 20_000) -> int:
    # Started by `make demo`, the demo's parent is make: if make is killed, stop as on Ctrl-C.
    die_with_parent()
    settings = LaunchSettings()
    given = settings.admin_api_key
    key = given.get_secret_value() if given else f"demo-{secrets.token_urlsafe(18)}"
    # The lake gets its first files within seconds (unless set), so a first model can train.
    env = {"AGORA_LAKE_FLUSH_S": "10", **os.environ,
           "AGORA_KAFKA_BOOTSTRAP": f"127.0.0.1:{broker_port}", "PYTHONUNBUFFERED": "1",
           "AGORA_ADMIN_API_KEY": key}
    children = Children()
    stop = stop_on_signals()
    try:
        broker = children.start("broker", ["broker", "--port", str(broker_port)], env,
                                stdout=subprocess.PIPE)
        # The broker prints its address once it serves and the topics exist.
        assert broker.stdout is not None
        if not broker.stdout.readline().startswith(b"broker:"):
            raise RuntimeError("broker exited during start-up")
        children.start("worker", ["worker", "--web-port", str(free_port())], env)
        children.start("api", ["serve", "--port", str(api_port)], env)
        api = f"http://127.0.0.1:{api_port}"
        _wait_until(lambda: http_ok(f"{api}/healthz"), 60, "api", children)
        # after the API migrated the embedded database: orders placed through the API reach
        # Kafka, the workers and the dashboard
        children.start("relay", ["relay"], env)
        # its users ask the API for lists and click on what it served
        children.start("simulator", ["simulate", "--rate", str(rate), "--duration", "0",
                                     "--seed", str(seed), "--bad-rate", "0.002"],
                       {**env, "AGORA_SIMULATOR_API_URL": api})
        started = time.monotonic()
        print(f"broker: 127.0.0.1:{broker_port}", flush=True)
        print(f"api: {api}", flush=True)
        print(f"dashboard: {api}/dashboard", flush=True)
        print(f"docs: {api}/docs", flush=True)
        print(f"trending: {api}/v1/trending?domain=commerce", flush=True)
        print(f"api key (demo, every scope; header X-API-Key): {key}", flush=True)
        print(f"trainer: from {train_after_s:.0f}s, every {retrain_every_s:.0f}s or "
              f"{retrain_after_events} new lake events", flush=True)
        health = health_datasets(settings)
        print(f"health data: {health}" if health else "health data: none found beside the "
              "project (set AGORA_TRAINER_HEALTH_DATA): /v1/health/assessments answers 503",
              flush=True)
        print("Ctrl-C stops everything.", flush=True)
        trainer_env = {**env, "AGORA_TRAINER_INTERVAL_S": str(retrain_every_s),
                       "AGORA_TRAINER_MIN_NEW_EVENTS": str(retrain_after_events),
                       "AGORA_TRAINER_POLL_S": "2", "AGORA_TRAINER_METRICS_PORT": "0"}
        if health is not None:
            trainer_env.setdefault("AGORA_TRAINER_HEALTH_DATA", str(health))
        # On a minute of simulated traffic popularity wins the holdout, and it has no words:
        # the demo shows neighbours by words for new posts, which the hybrid's content part
        # gives, so it trains the hybrid unless told otherwise (the stack compares them all).
        trainer_env.setdefault("AGORA_TRAINER_FAMILIES", '["hybrid"]')
        trainer_started, served = False, None
        while not stop.is_set():
            if (name := children.dead()) is not None:
                print(f"demo: {name} exited; stopping", file=sys.stderr, flush=True)
                return 1
            now = time.monotonic()
            if not trainer_started and now >= started + train_after_s:
                children.start("trainer", ["trainer"], trainer_env)
                trainer_started, next_look = True, now
            if trainer_started and now >= next_look:
                next_look = now + 2
                version = _champion_version(api, key)
                if version is not None and version != served:
                    served = version
                    print(f"model: version {version} in service; try "
                          f"{api}/v1/users/u1/recommendations", flush=True)
            time.sleep(0.2)
        return 0
    finally:
        children.stop_all()
        print("demo: stopped", flush=True)
