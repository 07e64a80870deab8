"""Online store on Redis (production).

Writes go through redis-py (its scripts, pipelines, retries); reads, serving's hot path, through
`PipelinedReader` (features/online/redis_reader.py): one connection per event loop and every
read of a loop turn in one socket write, about a tenth of redis-py's CPU per read
(bench/redis_read.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from features.online.redis_reader import PipelinedReader
from features.online.redis_script import APPLY_LUA, chunks
from features.online.store import StoreUnavailable, WriteBatch

RECENT_MANY_LUA = """
local out, last = {}, tonumber(ARGV[1]) - 1
for i, key in ipairs(KEYS) do out[i] = redis.call('LRANGE', key, 0, last) end
return out
"""

# Calls per script invocation: about a millisecond of Redis time, so readers never wait long.
MAX_OPS_PER_SCRIPT = 2000


class RedisStore:
    def __init__(self, *, url: str, prefix: str = "agora:") -> None:
        # decode_responses=True: every reply is a str, which redis-py's types cannot say.
        self._redis: Any = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self._reader = PipelinedReader(url=url)
        self._prefix = prefix
        self._apply = self._redis.register_script(APPLY_LUA)

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def apply(self, batch: WriteBatch) -> None:
        if not batch.writes:
            return
        payloads = list(chunks(batch.writes, MAX_OPS_PER_SCRIPT))
        try:
            if len(payloads) == 1:
                await self._apply(args=[self._prefix, payloads[0]])
                return
            pipe = self._redis.pipeline(transaction=False)
            for payload in payloads:
                await self._apply(args=[self._prefix, payload], client=pipe)
            await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        if not keys:
            return []
        rows = await self._reader.many([("HGETALL", self._k(key)) for key in keys])
        return [_pairs(row) for row in rows]

    async def count_distinct(self, groups: Sequence[Sequence[str]]) -> list[int]:
        live = [g for g in groups if g]
        counts = iter(await self._reader.many(
            [("PFCOUNT", *[self._k(k) for k in group]) for group in live]) if live else ())
        return [int(next(counts)) if g else 0 for g in groups]

    async def claim(self, token: str, ttl_s: float) -> bool:
        try:
            return bool(await self._redis.set(self._k("claim:" + token), "1", nx=True,
                                              px=int(ttl_s * 1000)))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def top(self, key: str, k: int) -> list[tuple[str, float]]:
        flat = await self._reader.call("ZREVRANGE", self._k(key), 0, k - 1, "WITHSCORES")
        return [(m, float(s)) for m, s in zip(flat[::2], flat[1::2], strict=True)]

    async def top_union(
        self, keys: Sequence[str], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[str, float]]:
        if not keys:
            return []
        full = [self._k(key) for key in keys]
        weighted: tuple[str | float, ...] = () if weights is None else ("WEIGHTS", *weights)
        flat = await self._reader.call("ZUNION", len(full), *full, *weighted, "WITHSCORES")
        pairs = [(m, float(s)) for m, s in zip(flat[::2], flat[1::2], strict=True)]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return pairs[:k]

    async def score(self, key: str, member: str) -> float | None:
        value = await self._reader.call("ZSCORE", self._k(key), member)
        return None if value is None else float(value)

    async def get_fields(self, key: str) -> dict[str, str]:
        return _pairs(await self._reader.call("HGETALL", self._k(key)))

    async def recent(self, key: str, n: int) -> list[str]:
        return list(await self._reader.call("LRANGE", self._k(key), 0, n - 1))

    async def recent_many(self, keys: Sequence[str], n: int) -> list[list[str]]:
        if not keys:
            return []
        # one script call: one command for Redis, one reply to parse, whatever the keys
        found = await self._reader.script(RECENT_MANY_LUA, [self._k(k) for k in keys], [n])
        return [list(values) for values in found]

    async def ping(self) -> None:
        """Both connections: the reads' and the writes'."""
        await self._reader.call("PING")
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._reader.close()
        await self._redis.aclose()


def _pairs(flat: list[str]) -> dict[str, str]:
    """A hash from HGETALL's field, value, field, value... reply."""
    return dict(zip(flat[::2], flat[1::2], strict=True))
