"""A PostgreSQL server of a test's own (initdb into a temporary directory), to stop and start
at will: never the shared one on 5432, which other tests use.

initdb refuses to run as root, so as root the server runs as the `postgres` user
(`runuser`), in a directory handed over to it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from launch.broker import free_port

BIN = Path(os.environ.get("AGORA_PG_BIN", "/usr/lib/postgresql/15/bin"))


def unavailable_reason() -> str | None:
    """Why no private server can run here, or None."""
    if not (BIN / "initdb").exists():
        return f"no initdb in {BIN} (set AGORA_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root without runuser"
    return None


class PrivatePostgres:
    """`start()` (initdb on first use), `stop()` (fast: sessions cut, as a crash or a
    failover would), `remove()`. Trust auth on 127.0.0.1, fsync off (a test's data)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="agora-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        self.url = f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def _run(self, args: Sequence[str], timeout_s: float = 60) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, timeout=timeout_s,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if not self.data.exists():
            self._run([str(BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                       "-U", self.user, "--no-sync"])
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off")
        self._run([str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                   "-l", str(self.root / "server.log"), "-w", "-t", "30", "start"])

    def stop(self) -> None:
        self._run([str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30",
                   "stop"])

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
