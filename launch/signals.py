"""How the launchers stop: SIGINT (Ctrl-C) and SIGTERM set one flag their loops watch."""

from __future__ import annotations

import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM; the caller's loop ends when it is set and stops
    its children in order (a handler that raised instead would cut that short)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    return stop
