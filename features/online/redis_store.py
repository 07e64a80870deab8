"""Online store on Redis (production)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

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
        self._prefix = prefix
        self._apply = self._redis.register_script(APPLY_LUA)
        self._recent = self._redis.register_script(RECENT_MANY_LUA)

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
        pipe = self._redis.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(self._k(key))
        try:
            return [dict(r) for r in await pipe.execute()]
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def count_distinct(self, groups: Sequence[Sequence[str]]) -> list[int]:
        pipe = self._redis.pipeline(transaction=False)
        live = [g for g in groups if g]
        for group in live:
            pipe.pfcount(*[self._k(k) for k in group])
        try:
            counts = iter(await pipe.execute()) if live else iter(())
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [int(next(counts)) if g else 0 for g in groups]

    async def claim(self, token: str, ttl_s: float) -> bool:
        try:
            return bool(await self._redis.set(self._k("claim:" + token), "1", nx=True,
                                              px=int(ttl_s * 1000)))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def top(self, key: str, k: int) -> list[tuple[str, float]]:
        try:
            rows = await self._redis.zrevrange(self._k(key), 0, k - 1, withscores=True)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [(m, float(s)) for m, s in rows]

    async def top_union(
        self, keys: Sequence[str], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[str, float]]:
        if not keys:
            return []
        full = [self._k(key) for key in keys]
        try:
            if weights is None:
                rows = await self._redis.zunion(full, withscores=True)
            else:
                rows = await self._redis.zunion(dict(zip(full, weights, strict=True)),
                                                withscores=True)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        pairs = [(m, float(s)) for m, s in rows]
        pairs.sort(key=lambda p: (-p[1], p[0]))
        return pairs[:k]

    async def score(self, key: str, member: str) -> float | None:
        try:
            value = await self._redis.zscore(self._k(key), member)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return None if value is None else float(value)

    async def get_fields(self, key: str) -> dict[str, str]:
        try:
            return dict(await self._redis.hgetall(self._k(key)))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def recent(self, key: str, n: int) -> list[str]:
        try:
            return list(await self._redis.lrange(self._k(key), 0, n - 1))
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def recent_many(self, keys: Sequence[str], n: int) -> list[list[str]]:
        if not keys:
            return []
        try:  # one script call: less client work than a pipeline of LRANGEs (every request)
            found = await self._recent(keys=[self._k(k) for k in keys], args=[n])
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [list(values) for values in found]

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._redis.aclose()
