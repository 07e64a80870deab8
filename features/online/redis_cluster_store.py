"""Online store on a Redis Cluster (`redis+cluster://host:port`, any node).

Writes: the batch split by hash slot (features/online/redis_slots.py), one keyed script call
per slot and chunk, all sent in one cluster pipeline (redis-py groups them per node and keeps
each node's order). Reads that name keys of several slots, which a cluster refuses as one
command, are answered from per-key reads: ZUNION as a sum of ZRANGEs, a union PFCOUNT by
copying the HyperLogLogs into one slot, recent lists as LRANGEs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import orjson
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisClusterException, RedisError

from features.online.redis_script import KEYED_APPLY_LUA
from features.online.redis_slots import (
    SlotCall,
    is_split_take,
    plan,
    slot_of,
    stages,
    take_parts,
)
from features.online.store import StoreUnavailable, Take, Write, WriteBatch

MAX_OPS_PER_SCRIPT = 2000
SCHEMES = {"redis+cluster://": "redis://", "rediss+cluster://": "rediss://"}
_ERRORS = (RedisError, RedisClusterException, OSError)

# The union of HyperLogLogs of several slots: copies in one slot, counted, dropped.
UNION_COUNT_LUA = """
for i, key in ipairs(KEYS) do
  if ARGV[i] ~= '' then redis.call('SET', key, ARGV[i], 'PX', 10000) end
end
local n = redis.call('PFCOUNT', unpack(KEYS))
redis.call('DEL', unpack(KEYS))
return n
"""


def node_url(url: str) -> str:
    """The redis-py URL of a `redis+cluster://` (or `rediss+cluster://`) URL."""
    for scheme, plain in SCHEMES.items():
        if url.startswith(scheme):
            return plain + url.removeprefix(scheme)
    raise ValueError(f"not a Redis Cluster URL: {url!r}")


class RedisClusterStore:
    def __init__(self, *, url: str, prefix: str = "agora:") -> None:
        if "{" in prefix or "}" in prefix:
            raise ValueError("a cluster store's prefix cannot hold a hash tag")
        options: dict[str, Any] = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
        self._redis: Any = RedisCluster.from_url(node_url(url), decode_responses=True,
                                                 **options)
        # HyperLogLogs are binary: copied through a client that does not decode.
        self._raw: Any = RedisCluster.from_url(node_url(url), **options)
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def _send(self, calls: list[SlotCall]) -> None:
        if not calls:
            return
        pipe = self._redis.pipeline()
        for call in calls:
            pipe.eval(KEYED_APPLY_LUA, len(call.keys), *call.keys, orjson.dumps(call.ops))
        await pipe.execute()

    async def _stage(self, writes: list[Write]) -> None:
        if not isinstance(writes[0], Take) or not is_split_take(self._prefix, writes[0]):
            await self._send(plan(writes, prefix=self._prefix, max_ops=MAX_OPS_PER_SCRIPT))
            return
        takes = [w for w in writes if isinstance(w, Take)]
        pipe = self._redis.pipeline()
        for t in takes:
            pipe.hexists(self._k(t.key), t.field)
        present = [t for t, there in zip(takes, await pipe.execute(), strict=True) if there]
        parts = [take_parts(self._prefix, t) for t in present]
        # the other slots' writes first (deduplicated by the record), then the record goes
        await self._send(plan([once for once, _ in parts], prefix=self._prefix,
                              max_ops=MAX_OPS_PER_SCRIPT))
        await self._send(plan([take for _, take in parts], prefix=self._prefix,
                              max_ops=MAX_OPS_PER_SCRIPT))

    async def apply(self, batch: WriteBatch) -> None:
        try:
            for writes in stages(batch.writes, self._prefix):
                await self._stage(writes)
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def get_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        if not keys:
            return []
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.hgetall(self._k(key))
        try:
            return [dict(r) for r in await pipe.execute()]
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def count_distinct(self, groups: Sequence[Sequence[str]]) -> list[int]:
        try:
            return [await self._count(group) for group in groups]
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def _count(self, group: Sequence[str]) -> int:
        if not group:
            return 0
        full = [self._k(k) for k in group]
        if len({slot_of(k) for k in full}) == 1:
            return int(await self._redis.pfcount(*full))
        pipe = self._raw.pipeline()
        for key in full:
            pipe.get(key)
        values = [v or b"" for v in await pipe.execute()]
        tag = secrets.token_hex(6)
        copies = [f"{self._prefix}tmp:pfunion:{{{tag}}}:{i}" for i in range(len(full))]
        return int(await self._raw.eval(UNION_COUNT_LUA, len(copies), *copies, *values))

    async def claim(self, token: str, ttl_s: float) -> bool:
        try:
            return bool(await self._redis.set(self._k("claim:" + token), "1", nx=True,
                                              px=int(ttl_s * 1000)))
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def top(self, key: str, k: int) -> list[tuple[str, float]]:
        try:
            rows = await self._redis.zrevrange(self._k(key), 0, k - 1, withscores=True)
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return [(m, float(s)) for m, s in rows]

    async def top_union(
        self, keys: Sequence[str], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[str, float]]:
        if not keys:
            return []
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.zrange(self._k(key), 0, -1, withscores=True)
        try:
            sets = await pipe.execute()
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        totals: dict[str, float] = {}
        for rows, weight in zip(sets, weights or [1.0] * len(keys), strict=True):
            for member, score in rows:
                totals[member] = totals.get(member, 0.0) + weight * float(score)
        pairs = sorted(totals.items(), key=lambda p: (-p[1], p[0]))
        return pairs[:k]

    async def score(self, key: str, member: str) -> float | None:
        try:
            value = await self._redis.zscore(self._k(key), member)
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc
        return None if value is None else float(value)

    async def get_fields(self, key: str) -> dict[str, str]:
        try:
            return dict(await self._redis.hgetall(self._k(key)))
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def recent(self, key: str, n: int) -> list[str]:
        try:
            return list(await self._redis.lrange(self._k(key), 0, n - 1))
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def recent_many(self, keys: Sequence[str], n: int) -> list[list[str]]:
        if not keys:
            return []
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.lrange(self._k(key), 0, n - 1)
        try:
            return [list(values) for values in await pipe.execute()]
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def ping(self) -> None:
        try:
            await self._redis.ping()
        except _ERRORS as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        await self._redis.aclose()
        await self._raw.aclose()

