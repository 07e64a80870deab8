"""Child processes of the demo and the stack: started in their own session, dying with their
parent even on SIGKILL (PR_SET_PDEATHSIG), stopped in reverse order of start."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    # Not on Linux: the parent's signal handlers still stop the children.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


class Children:
    def __init__(self) -> None:
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.one_shot: set[str] = set()

    def spawn(self, name: str, argv: list[str], env: dict[str, str], *,
              stdout: int | None = None, stderr: int | None = None, cwd: Path | None = None,
              one_shot: bool = False) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr, preexec_fn=die_with_parent,
                                start_new_session=True, cwd=cwd)
        self.procs.append((name, proc))
        if one_shot:
            self.one_shot.add(name)
        return proc

    def start(self, name: str, args: list[str], env: dict[str, str],
              stdout: int | None = None, *, one_shot: bool = False) -> subprocess.Popen[bytes]:
        """An `agora` command (`python -m launch.cli ARGS`)."""
        return self.spawn(name, [sys.executable, "-m", "launch.cli", *args], env,
                          stdout=stdout, one_shot=one_shot)

    def dead(self) -> str | None:
        """A long-running child that exited (one-shot children are the caller's concern)."""
        for name, proc in self.procs:
            if name not in self.one_shot and proc.poll() is not None:
                return name
        return None

    def stop_all(self, timeout_s: float = 10.0) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            else:
                # Reap anything left in its process group.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
