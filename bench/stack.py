"""`python -m bench.stack`: recommendations per second through HAProxy with 1 and 2 API
replicas of `agora stack`, p50/p99, failed requests while a replica is SIGKILLed, and the
trainer's time from start to a promoted model on the simulator's traffic.

Each run starts a whole stack (broker, PostgreSQL databases, Redis, MLflow server, 2 workers,
the replicas, HAProxy, relay, trainer, Prometheus, simulator at 60 events/s) and waits until
every replica serves the trainer's champion, then loads `/v1/users/{u}/recommendations`
through HAProxy with bench.loadgen (Python, 32 keep-alive connections). On 2 cores the load
generator, HAProxy, the replicas and the rest of the stack share the CPU. Writes
bench/results/stack.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "stack.json"
CONNECTIONS, DURATION_S = 32, 15.0


def start_stack(apis: int, data_dir: Path, *, rate: float = 60,
                train_after: int = 100000000) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    env.update(AGORA_DATA_DIR=str(data_dir), AGORA_LAKE_FLUSH_S="3")
    proc = subprocess.Popen([sys.executable, "-m", "launch.cli", "stack", "--apis", str(apis),
                             "--rate", str(rate), "--train-every", "3600",
                             "--train-after-events", str(train_after)],
                            env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    for line in proc.stdout:
        if line.startswith("stack: ready"):
            return proc, lines
        name, _, value = line.strip().partition(": ")
        lines[name] = value
    raise RuntimeError(f"agora stack exited with {proc.wait()}: {lines}")


def wait_for_champion(lines: dict[str, str], apis: int, timeout_s: float = 240.0) -> float:
    """Seconds until every replica serves a champion."""
    started = time.monotonic()
    key = {"X-API-Key": lines["admin key"]}
    while time.monotonic() - started < timeout_s:
        served = 0
        for i in range(1, apis + 1):
            try:
                models = httpx.get(f"{lines[f'api-{i}']}/v1/models", headers=key,
                                   timeout=5).json()["models"]
            except (httpx.HTTPError, ValueError, KeyError):
                continue
            served += any(m["alias"] == "champion" and m["status"] == "ok" for m in models)
        if served == apis:
            return time.monotonic() - started
        time.sleep(1)
    raise TimeoutError("no champion served")


def trainer_cycle_seconds(lines: dict[str, str]) -> float | None:
    result = httpx.get(f"{lines['prometheus']}/api/v1/query",
                       params={"query": "agora_trainer_cycle_seconds"}, timeout=5).json()
    found = result["data"]["result"]
    return float(found[0]["value"][1]) if found else None


def load(lines: dict[str, str], tmp: Path, duration_s: float = DURATION_S) -> dict[str, Any]:
    paths = tmp / "paths.txt"
    paths.write_text("\n".join(f"/v1/users/u{i}/recommendations?k=10" for i in range(500)))
    done = subprocess.run(
        [sys.executable, "-m", "bench.loadgen", "--url", lines["lb"], "--paths-file",
         str(paths), "--connections", str(CONNECTIONS), "--duration", str(duration_s),
         "--warmup", "2", "--api-key", lines["admin key"]],
        capture_output=True, text=True, check=True, timeout=duration_s + 60)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(apis: int, *, kill: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        proc, lines = start_stack(apis, Path(tmp))
        try:
            to_model = wait_for_champion(lines, apis)
            out: dict[str, Any] = {"apis": apis, "seconds_to_served_model": round(to_model, 1),
                                   "trainer_cycle_s": trainer_cycle_seconds(lines),
                                   "load": load(lines, Path(tmp))}
            if kill:
                pids = dict(line.split() for line in
                            (Path(lines["logs"]).parent / "pids").read_text().splitlines())
                killer = threading.Timer(5.0, os.kill, (int(pids["api-1"]), signal.SIGKILL))
                killer.start()
                out["load_during_kill"] = load(lines, Path(tmp), duration_s=12.0)
                killer.join()
            return out
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def champion_version(lines: dict[str, str]) -> str | None:
    found = httpx.get(f"{lines['mlflow']}/api/2.0/mlflow/registered-models/alias",
                      params={"name": "agora-recommender", "alias": "champion"}, timeout=5)
    return str(found.json()["model_version"]["version"]) if found.status_code == 200 else None


def replay_cycle(path: str, limit: int) -> dict[str, Any]:
    """The trainer on a replay of Online Retail (no simulator): the stack retrains once the
    lake holds 99% of the replayed events; the figure is the time from the replay's last
    event sent to a champion served by both replicas."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, lines = start_stack(2, Path(tmp), rate=0, train_after=int(limit * 0.99))
        try:
            env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": lines["broker"]}
            started = time.monotonic()
            done = subprocess.run([sys.executable, "-m", "launch.cli", "replay", "online-retail",
                                   "--path", path, "--limit", str(limit)], env=env,
                                  capture_output=True, text=True, check=True, timeout=900)
            sent, before = time.monotonic(), champion_version(lines)
            promoted = None  # a cycle on part of the replay may have promoted already
            while time.monotonic() - sent < 900 and promoted is None:
                version = champion_version(lines)
                promoted = version if version != before else None
                time.sleep(1)
            return {"dataset": "online-retail", "limit": limit,
                    "replay": done.stdout.strip().splitlines()[-1],
                    "replay_s": round(sent - started, 1), "champion_before": before,
                    "last_event_to_promoted_s": round(time.monotonic() - sent, 1)
                    if promoted else None, "champion_version": promoted,
                    "trainer_cycle_s": trainer_cycle_seconds(lines)}
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--replay-online-retail":
        # python -m bench.stack --replay-online-retail ../shared/datasets/uci-online-retail [N]
        limit = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
        result = replay_cycle(sys.argv[2], limit)
        print(json.dumps(result, indent=2))
        (RESULTS.parent / "stack_replay.json").write_text(json.dumps(result, indent=2) + "\n")
        return
    results = {"connections": CONNECTIONS, "duration_s": DURATION_S, "cores": os.cpu_count(),
               "runs": [run(1, kill=False), run(2, kill=True)]}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
