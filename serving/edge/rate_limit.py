"""Rate limits that every replica shares, keyed on who the caller proved to be.

One budget per caller: a valid API key's id, else the client address (no key, or a key that
is unknown, revoked or cannot be checked right now). A junk key therefore spends its address's
budget and gets its 401 from the route: rotating keys buys nothing, and the buckets never hold
a raw key (100k junk keys cost 100k requests of one address's budget, not 100k buckets).
A key the key ring has not cached is looked up in the database only while its address has
budget left (or when it was valid before), so junk keys cannot buy lookups either.

Buckets are the `limits` library's sliding-window counters (two counters per caller and
window): in Redis when `rate_limit_redis_url` or `AGORA_REDIS_URL` is set, so the API's
replicas enforce one budget, in process otherwise. When Redis fails or answers slower than
`rate_limit_redis_timeout_s`, the request is counted in process (fail over, never a 5xx) and
Redis is tried again after `rate_limit_redis_retry_s`. A refusal is a 429 with `Retry-After`.
Probes and /metrics are exempt.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import orjson
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.edge.auth import PRINCIPAL_STATE, KeyRing, Principal, digest, raw_key_of

log = logging.getLogger(__name__)

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
_FAILURES = (StorageError, RedisError, OSError, TimeoutError)


def budget(*, per_s: float, burst: int) -> RateLimitItem:
    """`burst` requests at once, `per_s` on average: `max(burst, per_s * w)` per window of
    `w = ⌈burst / per_s⌉` whole seconds (the library's windows are whole seconds)."""
    window_s = max(1, math.ceil(burst / per_s))
    return RateLimitItemPerSecond(max(burst, math.ceil(per_s * window_s)), window_s)


def storage_uri(redis_url: str) -> str:
    """The `limits` URI of a redis-py URL (`redis://`, `rediss://`, `unix://`)."""
    if redis_url.startswith("unix://"):
        return "async+redis+" + redis_url
    return "async+" + redis_url


class RateLimiter:
    """`wait_s(caller)`: 0.0 when the caller may go on, else the seconds until it may."""

    def __init__(self, *, item: RateLimitItem, redis_url: str | None = None,
                 key_prefix: str = "agora:ratelimit", timeout_s: float = 0.1,
                 retry_s: float = 5.0, on_storage_error: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.item = item
        self.redis_url, self.key_prefix = redis_url, key_prefix
        self.timeout_s, self.retry_s = timeout_s, retry_s
        self._on_storage_error, self._clock = on_storage_error, clock
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._pool: ConnectionPool | None = None
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._shared_after = 0.0
        self._leases = Leases(size=lease_size(item.amount),
                              ttl_s=min(LEASE_S, item.get_expiry() / 10), clock=clock)

    @property
    def shared(self) -> bool:
        """Whether the next call goes to Redis."""
        return self._shared is not None and self._clock() >= self._shared_after

    async def open(self) -> None:
        """Connect the shared buckets (inside the serving loop; lazily, never failing)."""
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        if self.redis_url:
            # our own pool, so that close() can release it; connects on first use
            self._pool = ConnectionPool.from_url(
                self.redis_url, socket_timeout=self.timeout_s,
                socket_connect_timeout=self.timeout_s)
            options: dict[str, Any] = {"connection_pool": self._pool}
            self._shared = SlidingWindowCounterRateLimiter(RedisStorage(
                storage_uri(self.redis_url), implementation="redispy", wrap_exceptions=True,
                key_prefix=self.key_prefix, **options))

    async def close(self) -> None:
        pool, self._pool, self._shared = self._pool, None, None
        if pool is not None:
            await pool.aclose()

    async def wait_s(self, caller: str, *, spend: bool = True) -> float:
        """0.0 when `caller` may go on (and the request is counted, unless `spend` is
        false), else the seconds until it may."""
        if self._leases.take(caller, spend=spend):
            return 0.0
        shared = self._shared
        if shared is not None and self._clock() >= self._shared_after:
            try:
                return await self._wait(shared, caller, spend)
            except _FAILURES as exc:
                self._shared_after = self._clock() + self.retry_s
                self._on_storage_error()
                log.warning("rate limits in process for %.0f s: shared buckets failed (%s)",
                            self.retry_s, type(exc).__name__)
        return await self._wait(self._local, caller, spend)

    async def _wait(self, limiter: SlidingWindowCounterRateLimiter, caller: str,
                    spend: bool) -> float:
        if spend and await self._leases.reserve(limiter, self.item, caller):
            return 0.0
        if await (limiter.hit if spend else limiter.test)(self.item, caller):
            return 0.0
        stats = await limiter.get_window_stats(self.item, caller)
        return max(1.0, stats.reset_time - time.time())


LEASE_MAX = 50
LEASE_SHARE = 100  # a lease is at most 1/100 of a budget
LEASE_S = 1.0


def lease_size(amount: int) -> int:
    return max(1, min(LEASE_MAX, amount // LEASE_SHARE))


class Leases:
    """Requests a replica took from a budget in one call, then admits one by one.

    One Redis call per request costs the serving process about 100 µs of CPU, the library's
    in-process storage about 12 µs (docs/benchmarks.md, "Rate limits"), against about 300 µs
    for a whole recommendation. A busy caller instead
    reserves `size` requests at once (`hit(cost=size)`) and spends them here within `ttl_s`
    (a tenth of the window, at most `LEASE_S`). Reserved requests are counted when reserved:
    what a replica leaves unspent is lost, and requests counted up to `ttl_s` early can let a
    caller exceed its budget over some window by at most `replicas x size` (1% of the budget
    per replica). Near the limit a reservation is refused and each request is counted on its
    own again. Budgets under 200 lease nothing: exact.
    """

    def __init__(self, *, size: int, ttl_s: float, clock: Callable[[], float],
                 kept: int = 10_000) -> None:
        self.size, self.ttl_s, self._clock, self._kept = size, ttl_s, clock, kept
        self._left: dict[str, tuple[int, float]] = {}
        self._pending: dict[str, asyncio.Future[bool]] = {}

    def take(self, caller: str, *, spend: bool = True) -> bool:
        left, until = self._left.get(caller, (0, 0.0))
        if left <= 0 or self._clock() >= until:
            return False
        if spend:
            self._left[caller] = (left - 1, until)
        return True

    async def reserve(self, limiter: SlidingWindowCounterRateLimiter, item: RateLimitItem,
                      caller: str) -> bool:
        """Reserve a lease and spend its first request; False when none is granted.

        One reservation in flight a caller: the concurrent requests of a caller whose lease
        ran out wait for it and spend from it, rather than each reserving a lease of its own
        (all of them counted, all but the last lost: 429s well under the budget)."""
        if self.size <= 1:
            return False
        while (pending := self._pending.get(caller)) is not None:
            # shielded: a waiter's cancellation is not the reservation's
            if not await asyncio.shield(pending):
                return False  # refused near the limit: each request is counted on its own
            if self.take(caller):
                return True
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[caller] = done
        granted = False
        try:
            granted = await limiter.hit(item, caller, cost=self.size)
            if granted:
                if len(self._left) >= self._kept:  # losing leases only makes callers stricter
                    self._left.clear()
                self._left[caller] = (self.size - 1, self._clock() + self.ttl_s)
            return granted
        finally:
            del self._pending[caller]
            done.set_result(granted)


def client_address(scope: Scope) -> str:
    """The peer (uvicorn applies `X-Forwarded-For` only from `--forwarded-allow-ips`)."""
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


Refused = Callable[[str], None]
"""Told `key` or `address` for each 429."""


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter,
                 on_refused: Refused = lambda caller: None) -> None:
        self.app = app
        self.limiter = limiter
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        raw = raw_key_of(scope)
        address = client_address(scope)
        principal: Principal | None = None
        ring: KeyRing | None = getattr(scope["app"].state, "api_keys", None)
        if raw is not None and ring is not None:
            key = digest(raw)
            known, principal = ring.cached(key)
            if not known:
                # junk keys buy no database lookups: an address out of budget has only the
                # keys looked up that were valid before (their cache entry expired)
                if not ring.was_valid(key) and await self._refused(
                        address, "address", send, spend=False):
                    return
                principal, known = await self._lookup(ring, key)
            if known:
                scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        if principal is not None:
            if await self._refused(f"key:{principal.key_id}", "key", send):
                return
        elif await self._refused(address, "address", send):
            return
        await self.app(scope, receive, send)

    async def _lookup(self, ring: KeyRing, key: str) -> tuple[Principal | None, bool]:
        """Ask the key ring's database: (principal, known). An error (an outage) leaves the
        key unresolved, and the route answers for it (a 503)."""
        try:
            return await run_in_threadpool(ring.fetch, key), True
        except Exception:  # the route repeats the lookup and answers for it (a 503)
            return None, False

    async def _refused(self, caller: str, kind: str, send: Send, *, spend: bool = True) -> bool:
        wait = await self.limiter.wait_s(caller, spend=spend)
        if wait <= 0.0:
            return False
        self.on_refused(kind)
        retry_after = str(max(1, math.ceil(wait))).encode()
        body = orjson.dumps({"detail": "rate limit exceeded; retry later"})
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", retry_after),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return True
