"""Real `agora worker` child processes for benchmarks and integration tests.

Each has its own `--web-port` (its `/metrics`); several may share one app id (one consumer
group), one data dir and one online store: the embedded one in the data dir, or Redis at
`redis_url`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from launch.broker import free_port

_SAMPLE = re.compile(r'^agora_worker_events_total\{agent="(\w+)",outcome="ok"\} ([0-9.e+]+)$',
                     re.MULTILINE)


@dataclass(kw_only=True)
class Worker:
    bootstrap: str
    data_dir: Path
    app_id: str
    redis_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    web_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": self.bootstrap,
               "AGORA_DATA_DIR": str(self.data_dir), "AGORA_WORKER_APP_ID": self.app_id,
               "AGORA_LAKE_FLUSH_S": "0.5", "AGORA_REDIS_URL": self.redis_url,
               "AGORA_LOG_LEVEL": "WARNING",
               **self.env}
        log = (self.data_dir / f"worker-{self.web_port}.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "launch.cli", "worker", "--web-port", str(self.web_port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def processed(self) -> dict[str, float]:
        """Valid events processed by this worker, per agent, from its `/metrics` (empty if
        the web server is not up yet)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/metrics",
                                        timeout=2) as resp:
                text = resp.read().decode()
        except OSError:
            return {}
        return {agent: float(v) for agent, v in _SAMPLE.findall(text)}

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()
