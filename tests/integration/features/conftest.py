"""Online-store fixtures: every store test runs on Redis and on the embedded store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from features.online import OnlineStore
from features.online.redis_store import RedisStore
from features.online.sqlite_store import SqliteStore


async def flush_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["redis", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OnlineStore]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = f"test-{uuid.uuid4().hex[:8]}:"
        s: OnlineStore = RedisStore(url=url, prefix=prefix)
        yield s
        await s.close()
        await flush_prefix(url, prefix)
    else:
        s = SqliteStore(path=tmp_path / "online.db")
        yield s
        await s.close()
