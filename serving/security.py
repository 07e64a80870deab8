"""API-key authentication with scopes, for any router: `Depends(require_scope("catalog:write"))`.

Keys arrive in `X-API-Key` (or `Authorization: Bearer …`) and are looked up by their SHA-256
digest only: a `KeyRing` on `app.state.api_keys` maps digests to a `Principal`. Scopes are plain
strings (`catalog:write`, `storefront`, `ops`, `admin`, ...); the scope `*` allows everything.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

ALL_SCOPES = "*"


@dataclass(frozen=True, kw_only=True)
class Principal:
    """Who is calling: the key's id and name (never the key) and its scopes."""

    key_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return ALL_SCOPES in self.scopes or scope in self.scopes


def digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


Lookup = Callable[[str], Principal | None]
"""From a key digest to its principal, or None; may block (it runs in a worker thread)."""


@dataclass(kw_only=True)
class KeyRing:
    """Static keys (by digest) first, then `lookup`; answers are cached for `ttl_s`."""

    static: Mapping[str, Principal] = field(default_factory=dict)
    lookup: Lookup | None = None
    ttl_s: float = 30.0
    _cache: dict[str, tuple[float, Principal | None]] = field(default_factory=dict, init=False)

    def find(self, raw_key: str) -> Principal | None:
        key = digest(raw_key)
        known, principal = self.cached(key)
        return principal if known else self.fetch(key)

    def cached(self, key: str) -> tuple[bool, Principal | None]:
        """Answer from memory when possible: (known, principal). Never blocks."""
        if key in self.static:
            return True, self.static[key]
        if self.lookup is None:
            return True, None
        hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def fetch(self, key: str) -> Principal | None:
        """Ask `lookup` (may block) and cache the answer."""
        assert self.lookup is not None
        found = self.lookup(key)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + self.ttl_s, found)
        return found


def static_keys(keys: Iterable[tuple[str, str, Iterable[str]]]) -> dict[str, Principal]:
    """`(name, raw key, scopes)` triples as a digest → principal map."""
    return {digest(raw): Principal(key_id=name, name=name, scopes=frozenset(scopes))
            for name, raw, scopes in keys}


KEY_COOKIE = "agora_key"


def _raw_key(request: Request) -> str | None:
    raw = request.headers.get("x-api-key")
    if not raw:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        raw = token.strip() if scheme.lower() == "bearer" else None
    # A browser page cannot set headers on an EventSource: it signs in once (cookie).
    return raw or request.cookies.get(KEY_COOKIE) or None


def require_scope(*scopes: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting keys that hold any one of `scopes`; 401 without a valid key,
    403 when the key lacks the scope."""
    needed = " or ".join(scopes)

    async def authenticated(request: Request) -> Principal:
        raw = _raw_key(request)
        if raw is None:
            raise HTTPException(401, "an API key is required (X-API-Key header)",
                                headers={"WWW-Authenticate": "ApiKey"})
        principal = await principal_of(request, raw)
        if principal is None:
            raise HTTPException(401, "unknown or revoked API key",
                                headers={"WWW-Authenticate": "ApiKey"})
        if not any(principal.allows(s) for s in scopes):
            raise HTTPException(403, f"this API key lacks the scope {needed}")
        return principal

    return authenticated


async def principal_of(request: Request, raw: str) -> Principal | None:
    ring: KeyRing | None = getattr(request.app.state, "api_keys", None)
    if ring is None:
        return None
    key = digest(raw)
    known, principal = ring.cached(key)
    if not known:  # only a cache miss pays for a worker thread
        principal = await run_in_threadpool(ring.fetch, key)
    return principal


_ops = require_scope("ops")


async def ops_access(request: Request) -> None:
    """Analytics and the dashboard: open where `analytics_public` (the demo), else `ops`."""
    if not request.app.state.settings.analytics_public:
        await _ops(request)

