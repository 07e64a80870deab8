"""What the order benchmark watches while it runs: CPU seconds per process, the machine's busy
share, and what the API's PostgreSQL backends are doing (sampled from pg_stat_activity).

The samples say where an order's time goes on the database side: `active` on CPU, waiting for
a row lock (`Lock:transactionid`/`Lock:tuple`), flushing WAL at commit (`IO:WALSync`,
`IO:WALWrite`, `LWLock:WALWrite`), or `idle in transaction`: the transaction open (and its
locks held) while the API computes between two statements.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import create_engine, text

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every CPU since boot."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


@dataclass(kw_only=True)
class CpuMeter:
    """CPU seconds spent by named processes between `start` and `stop`."""

    pids: dict[str, int]
    _start: dict[str, float] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self._start = {name: cpu_seconds(pid) or 0.0 for name, pid in self.pids.items()}
        self._machine = machine_busy()

    def stop(self) -> dict[str, float]:
        used = {name: round((cpu_seconds(pid) or 0.0) - self._start[name], 2)
                for name, pid in self.pids.items()}
        busy, total = machine_busy()
        used["machine_busy_share"] = round((busy - self._machine[0])
                                           / max(total - self._machine[1], 1.0), 3)
        return used


@dataclass(kw_only=True)
class BackendSampler:
    """Every `interval_s`, the state and wait event of each backend whose application_name
    starts with `prefix`, and the CPU its processes used while sampled."""

    url: str
    prefix: str
    interval_s: float = 0.01
    states: Counter[str] = field(default_factory=Counter)
    _cpu: dict[int, tuple[float, float]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        engine = create_engine(self.url)
        query = text("SELECT pid, application_name, state, wait_event_type, wait_event "
                     "FROM pg_stat_activity WHERE application_name LIKE :p")
        with engine.connect() as conn:
            while not self._stop.is_set():
                for pid, app, state, wtype, wevent in conn.execute(
                        query, {"p": self.prefix + "%"}):
                    wait = f"{wtype}:{wevent}" if wtype else "cpu"
                    self.states[f"{app} {state} {wait}" if state == "active"
                                else f"{app} {state}"] += 1
                    now = cpu_seconds(pid)
                    if now is not None:
                        first = self._cpu.get(pid, (now, now))[0]
                        self._cpu[pid] = (first, now)
                conn.rollback()
                time.sleep(self.interval_s)
        engine.dispose()

    def stop(self) -> tuple[dict[str, float], float]:
        """The share of samples in each state, and the backends' CPU seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        total = sum(self.states.values()) or 1
        shares = {k: round(v / total, 3) for k, v in self.states.most_common()}
        return shares, round(sum(last - first for first, last in self._cpu.values()), 2)
