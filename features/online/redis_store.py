"""Online store on Redis (production)."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from features.online.store import (
    Delete,
    IncrFields,
    IncrScores,
    PushRecent,
    SetFields,
    StoreUnavailable,
    WriteBatch,
)


class RedisStore:
    def __init__(self, *, url: str, prefix: str = "agora:") -> None:
        self._redis = aioredis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2.0, socket_connect_timeout=2.0
        )
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def apply(self, batch: WriteBatch) -> None:
        if not batch.writes:
            return
        pipe = self._redis.pipeline(transaction=False)
        for w in batch.writes:
            key = self._k(w.key)
            match w:
                case IncrScores():
                    for member, delta in w.deltas.items():
                        pipe.zincrby(key, delta, member)
                case IncrFields():
                    for name, delta in w.deltas.items():
                        pipe.hincrbyfloat(key, name, delta)
                case SetFields():
                    if w.values:
                        pipe.hset(key, mapping=dict(w.values))
                case PushRecent():
                    if w.values:
                        pipe.lpush(key, *w.values)
                        pipe.ltrim(key, 0, w.max_len - 1)
                case Delete():
                    pipe.delete(key)
            ttl = getattr(w, "ttl_s", None)
            if ttl:
                pipe.pexpire(key, int(ttl * 1000))
        try:
            await pipe.execute()
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

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._redis.aclose()
