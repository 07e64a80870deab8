"""Online-store fixtures: every store test runs on Redis, on a Redis Cluster of three masters
(the session's `redis_cluster_url`) and on the embedded store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from features.online import OnlineStore
from features.online.redis_cluster_store import RedisClusterStore, node_url
from features.online.redis_store import RedisStore
from features.online.sqlite_store import SqliteStore


async def flush_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster

    client: Any = (RedisCluster.from_url(node_url(url)) if url.startswith("redis+cluster://")
                   else aioredis.Redis.from_url(url))
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["redis", "cluster", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OnlineStore]:
    if request.param in ("redis", "cluster"):
        cluster = request.param == "cluster"
        url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
        prefix = f"test-{uuid.uuid4().hex[:8]}:"
        s: OnlineStore = (RedisClusterStore(url=url, prefix=prefix) if cluster
                          else RedisStore(url=url, prefix=prefix))
        yield s
        await s.close()
        await flush_prefix(url, prefix)
    else:
        s = SqliteStore(path=tmp_path / "online.db")
        yield s
        await s.close()
