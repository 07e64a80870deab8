"""Rate limiting per API key (or per client address without a key): token buckets.

A refused request gets 429 with `Retry-After` (whole seconds until a token is back). Keys are
kept as digests, so no API key sits in memory or logs in clear. Ops endpoints are exempt.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})
API_KEY_HEADER = b"x-api-key"
_MAX_KEYS = 100_000


class TokenBuckets:
    """`rate` tokens per second up to `burst`, one bucket per key."""

    def __init__(self, *, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0.0 if a token was taken, else the seconds until one is available."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > _MAX_KEYS:
            self._buckets.clear()  # crude but bounded; a flood of keys resets every bucket
        return (1.0 - tokens) / self.rate


def client_key(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == API_KEY_HEADER:
            return "key:" + hashlib.blake2b(value, digest_size=12).hexdigest()
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT:
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(client_key(scope))
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        retry_after = str(max(1, math.ceil(wait))).encode()
        body = orjson.dumps({"detail": "rate limit exceeded for this API key; retry later"})
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"retry-after", retry_after),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
