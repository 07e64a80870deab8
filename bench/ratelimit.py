"""`python -m bench.ratelimit [--redis URL]`: what a rate-limit check costs per request.

Times, one call after another on one event loop (a request's added latency, not throughput):
`hit()` of the `limits` library's sliding-window counter (what serving uses) and moving window,
on its in-process storage and on Redis; then the whole `RateLimitMiddleware` (key digest,
key ring, leases, hit) in front of an ASGI app that does nothing, for one busy API key (the
storefront's case: leases amortize the calls) and for anonymous callers each from an address
of its own (one call per request: the worst case). Redis keys go under a throw-away prefix,
deleted afterwards. Writes bench/results/ratelimit.json.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import redis

from bench.report import write_result
from serving.edge.auth import KeyRing, static_keys
from serving.edge.rate_limit import RateLimiter, RateLimitMiddleware, budget

CALLS = 5_000
CALLERS = 100
ROUNDS = 5
KEY = "bench-ratelimit-key-0123456789"


async def per_call_us(call: Callable[[int], Awaitable[Any]], n: int = CALLS) -> float:
    """Microseconds per call: the fastest of `ROUNDS` rounds (the machine is shared)."""
    for i in range(200):  # warm-up: connections, scripts loaded
        await call(i)
    rounds = []
    for r in range(ROUNDS):
        start = time.perf_counter()
        for i in range(r * n // ROUNDS, (r + 1) * n // ROUNDS):
            await call(i)
        rounds.append((time.perf_counter() - start) / (n // ROUNDS) * 1e6)
    return min(rounds)


async def cpu_us(call: Callable[[int], Awaitable[Any]], n: int = CALLS) -> float:
    """This process's CPU time per call (what a call costs the API's own core)."""
    start = time.process_time()
    for i in range(n):
        await call(i)
    return (time.process_time() - start) / n * 1e6


async def hits(redis_url: str | None, prefix: str) -> dict[str, float]:
    from limits.aio.storage import MemoryStorage, RedisStorage
    from limits.aio.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
    from limits.aio.strategies import RateLimiter as LibraryLimiter

    item = budget(per_s=2000, burst=4000)
    out: dict[str, float] = {}
    storages: list[tuple[str, Callable[[], Any]]] = [("memory", MemoryStorage)]
    if redis_url:
        storages.append(("redis", lambda: RedisStorage(
            "async+" + redis_url, implementation="redispy", key_prefix=prefix)))
    for name, storage in storages:
        strategies: tuple[tuple[str, type[LibraryLimiter]], ...] = (
            ("sliding_window_counter", SlidingWindowCounterRateLimiter),
            ("moving_window", MovingWindowRateLimiter))
        for strategy, cls in strategies:
            limiter = cls(storage())

            def hit(i: int, lim: LibraryLimiter = limiter) -> Awaitable[bool]:
                return lim.hit(item, f"caller{i % CALLERS}")

            out[f"hit_{strategy}_{name}_us"] = round(await per_call_us(hit), 1)
            out[f"hit_{strategy}_{name}_cpu_us"] = round(await cpu_us(hit), 1)
    return out


async def middleware(redis_url: str | None, prefix: str) -> dict[str, float]:
    async def nothing(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    state = SimpleNamespace(api_keys=KeyRing(static=static_keys([("k", KEY, ["storefront"])])))
    app = SimpleNamespace(state=state)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        return None

    out: dict[str, float] = {}
    for name, url in (("none", None), ("memory", None), ("redis", redis_url)):
        if name == "redis" and not url:
            continue
        limiter = RateLimiter(item=budget(per_s=1e9, burst=10**9), redis_url=url,
                              key_prefix=prefix)
        await limiter.open()
        wrapped = nothing if name == "none" else RateLimitMiddleware(nothing, limiter=limiter)

        def request(i: int, asgi: Any = wrapped) -> Awaitable[None]:
            scope = {"type": "http", "path": "/v1/users/u1/recommendations", "app": app,
                     "client": ("10.0.0.1", 5000), "headers": [(b"x-api-key", KEY.encode())]}
            return asgi(scope, receive, send)

        def anonymous(i: int, asgi: Any = wrapped) -> Awaitable[None]:
            scope = {"type": "http", "path": "/v1/trending", "app": app,
                     "client": (f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}", 5000),
                     "headers": []}
            return asgi(scope, receive, send)

        out[f"request_{name}_one_key_us"] = round(await per_call_us(request), 1)
        if name != "none":
            out[f"request_{name}_new_address_each_us"] = round(await per_call_us(
                lambda i: anonymous(i + 10**6)), 1)
        await limiter.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default=None, help="e.g. redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    prefix = f"bench:ratelimit:{uuid.uuid4().hex[:8]}"
    try:
        result = {"calls": CALLS, "callers": CALLERS,
                  **asyncio.run(hits(args.redis, prefix)),
                  **asyncio.run(middleware(args.redis, prefix))}
    finally:
        if args.redis:
            client = redis.Redis.from_url(args.redis)
            for key in client.scan_iter(f"{prefix}*", count=1000):
                client.delete(key)
    write_result("ratelimit", result)


if __name__ == "__main__":
    main()
