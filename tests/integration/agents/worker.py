"""Run the real worker (`python -m agora.cli worker`) as a child process for tests."""

from __future__ import annotations

from bench.workers import Worker as WorkerProcess

__all__ = ["WorkerProcess"]
