"""Integration fixtures shared by several folders: a private Redis Cluster."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from launch.redis_cluster import LocalRedisCluster, cluster_tools


@pytest.fixture(scope="session")
def redis_cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-master Redis Cluster of this session (`redis+cluster://…`); skips locally,
    fails in CI, when redis-server or redis-cli is not installed."""
    if cluster_tools() is None:
        reason = "redis-server and redis-cli are needed for a Redis Cluster"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must provide them")
        pytest.skip(reason)
    cluster = LocalRedisCluster(folder=tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()
