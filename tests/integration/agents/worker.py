"""Run the real worker (`python -m agora.cli worker`) as a child process for tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from agora.broker import free_port


@dataclass(kw_only=True)
class WorkerProcess:
    bootstrap: str
    data_dir: Path
    app_id: str
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "AGORA_KAFKA_BOOTSTRAP": self.bootstrap,
               "AGORA_DATA_DIR": str(self.data_dir), "AGORA_WORKER_APP_ID": self.app_id,
               "AGORA_LAKE_FLUSH_S": "0.5", "AGORA_REDIS_URL": "", "AGORA_LOG_LEVEL": "WARNING",
               **self.env}
        log = (self.data_dir / "worker.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agora.cli", "worker", "--web-port", str(free_port())],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

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
