"""Run the real worker (`python -m launch.cli worker`) as a child process for tests, on the
embedded store or on Redis (`WorkerProcess(..., redis_url=...)`)."""

from __future__ import annotations

import os
import shutil

import pytest

from bench.workers import Worker as WorkerProcess


def require_redis_server() -> None:
    """Skip (locally) or fail (in CI) when the `redis-server` binary a fault test starts its
    own Redis with is not installed."""
    if shutil.which("redis-server"):
        return
    if os.environ.get("CI"):
        pytest.fail("redis-server is not installed; CI must provide it")
    pytest.skip("redis-server is not installed")


__all__ = ["WorkerProcess", "require_redis_server"]
