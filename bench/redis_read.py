"""`python -m bench.redis_read`: the read every recommendation makes (a user's three recent
lists), through each Redis client, in the same run.

32 tasks on one uvloop loop (as in the server) each read one user's three lists after
another; per client and round: reads per second and this process's CPU time per read (what
the read takes from the server's core; Redis runs on the other). Rounds alternate between
clients, medians are reported. Two cases: users with nothing in Redis (what bench.serving
reads: its Redis has no history) and users with 50 entries in each list (the agents' cap),
written under a private prefix and deleted after. Writes bench/results/redis-read.json.

Clients: redis-py (RESP2 and RESP3, the Lua script `RedisStore` used, and a pipeline of
three LRANGEs), `PipelinedReader` (features/online/redis_reader.py; the script, and three
LRANGEs in one loop turn), coredis and valkey-glide where installed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import uvloop

from bench.report import write_result
from features.online.redis_reader import PipelinedReader
from features.online.redis_store import RECENT_MANY_LUA

DOMAINS = ("commerce", "community", "podcast")
USERS = 200
N = 50
Read = Callable[[Sequence[str]], Awaitable[list[list[str]]]]


def keys_of(prefix: str, user: int) -> list[str]:
    return [f"{prefix}recent:{d}:{{u{user}}}" for d in DOMAINS]


async def redis_py(url: str, *, protocol: int, script: bool) -> tuple[Read, Any]:
    import redis.asyncio as aioredis

    client: Any = aioredis.Redis.from_url(url, decode_responses=True, protocol=protocol)
    lua = client.register_script(RECENT_MANY_LUA)

    async def by_script(keys: Sequence[str]) -> list[list[str]]:
        return list(await lua(keys=list(keys), args=[N]))

    async def by_pipeline(keys: Sequence[str]) -> list[list[str]]:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(key, 0, N - 1)
        return list(await pipe.execute())

    return (by_script if script else by_pipeline), client.aclose


async def pipelined(url: str, *, script: bool) -> tuple[Read, Any]:
    reader = PipelinedReader(url=url)

    async def by_script(keys: Sequence[str]) -> list[list[str]]:
        return list(await reader.script(RECENT_MANY_LUA, keys, [N]))

    async def by_commands(keys: Sequence[str]) -> list[list[str]]:
        return list(await asyncio.gather(*[reader.call("LRANGE", k, 0, N - 1)
                                           for k in keys]))

    return (by_script if script else by_commands), reader.close


async def coredis_client(url: str) -> tuple[Read, Any]:
    import coredis

    client: Any = coredis.Redis.from_url(url, decode_responses=True)
    entered = await client.__aenter__()
    client = entered if entered is not None else client
    lua = client.register_script(RECENT_MANY_LUA)

    async def by_script(keys: Sequence[str]) -> list[list[str]]:
        return list(await lua(keys=list(keys), args=[N]))

    async def close() -> None:
        await client.__aexit__(None, None, None)

    return by_script, close


async def glide_client(url: str) -> tuple[Read, Any]:
    from urllib.parse import urlsplit

    import glide

    parts = urlsplit(url)
    config = glide.GlideClientConfiguration(
        [glide.NodeAddress(parts.hostname or "127.0.0.1", parts.port or 6379)],
        database_id=int(parts.path.strip("/") or 0))
    client = await glide.GlideClient.create(config)
    lua = glide.Script(RECENT_MANY_LUA)

    async def by_script(keys: Sequence[str]) -> list[list[str]]:
        found: Any = await client.invoke_script(lua, keys=list(keys), args=[str(N)])
        return [[v.decode() for v in values] for values in found]

    return by_script, client.close


CLIENTS: dict[str, Callable[[str], Awaitable[tuple[Read, Any]]]] = {
    "redis-py, Lua script (RESP2): before": lambda u: redis_py(u, protocol=2, script=True),
    "redis-py, Lua script, RESP3": lambda u: redis_py(u, protocol=3, script=True),
    "redis-py, pipeline of 3 LRANGE": lambda u: redis_py(u, protocol=2, script=False),
    "PipelinedReader, Lua script": lambda u: pipelined(u, script=True),
    "PipelinedReader, 3 LRANGE in one loop turn": lambda u: pipelined(u, script=False),
    "coredis, Lua script": coredis_client,
    "valkey-glide, Lua script": glide_client,
}


async def one_round(read: Read, prefix: str, tasks: int, reads: int) -> tuple[float, float]:
    """(reads per second, CPU µs per read) of `reads` reads over `tasks` tasks."""
    per_task = reads // tasks

    async def worker(offset: int) -> None:
        for i in range(per_task):
            await read(keys_of(prefix, (offset + i) % USERS))

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*[worker(t * 7) for t in range(tasks)])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    done = per_task * tasks
    return done / wall, cpu / done * 1e6


async def seed(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client: Any = aioredis.Redis.from_url(url)
    pipe = client.pipeline(transaction=False)
    entry = orjson.dumps({"item_id": "product:p1", "event_type": "product_viewed",
                          "ts": 1.0e9, "weight": 1.0})
    for user in range(USERS):
        for key in keys_of(prefix, user):
            pipe.delete(key)
            pipe.rpush(key, *[entry] * N)
            pipe.expire(key, 3600)
    await pipe.execute()
    await client.aclose()


async def unseed(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client: Any = aioredis.Redis.from_url(url)
    await client.delete(*[k for u in range(USERS) for k in keys_of(prefix, u)])
    await client.aclose()


async def run(url: str, tasks: int, reads: int, rounds: int) -> dict[str, Any]:
    opened: dict[str, tuple[Read, Any]] = {}
    failed: dict[str, str] = {}
    for name, make in CLIENTS.items():
        try:
            opened[name] = await make(url)
            await opened[name][0](keys_of("bench-read-none:", 0))
        except Exception as exc:  # a client missing or refusing: said in the result
            failed[name] = f"{type(exc).__name__}: {exc}"
            opened.pop(name, None)
    cases = {"empty": "bench-read-none:", "history": "bench-read:"}
    await seed(url, cases["history"])
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {
        c: {n: [] for n in opened} for c in cases}
    try:
        for case, prefix in cases.items():
            for read, _ in opened.values():  # warm-up
                await one_round(read, prefix, tasks, reads // 4)
            for _ in range(rounds):
                for name, (read, _) in opened.items():
                    samples[case][name].append(await one_round(read, prefix, tasks, reads))
    finally:
        await unseed(url, cases["history"])
        for _, close in opened.values():
            await close()
    result: dict[str, Any] = {"failed": failed}
    base = next(iter(CLIENTS))
    for case, by_client in samples.items():
        rows = {}
        for name, got in by_client.items():
            rows[name] = {"reads_per_s": round(statistics.median(r for r, _ in got)),
                          "cpu_us_per_read": round(statistics.median(c for _, c in got), 1)}
        base_cpu = rows[base]["cpu_us_per_read"]
        for row in rows.values():
            row["cpu_vs_before"] = round(row["cpu_us_per_read"] / base_cpu, 2)
        result[case] = rows
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", metavar="URL")
    parser.add_argument("--tasks", type=int, default=32)
    parser.add_argument("--reads", type=int, default=6400, help="reads per round and client")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = uvloop.run(run(args.redis, args.tasks, args.reads, args.rounds))
    result["setup"] = (f"{args.tasks} tasks on one uvloop loop, {args.reads} reads a round,"
                       f" median of {args.rounds} alternating rounds; Redis on loopback")
    for case in ("empty", "history"):
        for name, row in result[case].items():
            print(f"{case:8} {name:46} {row['reads_per_s']:>7} /s"
                  f" {row['cpu_us_per_read']:>7} µs CPU  x{row['cpu_vs_before']}")
    write_result("redis-read", result)


if __name__ == "__main__":
    main()
