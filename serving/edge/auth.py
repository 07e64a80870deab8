"""API-key authentication with scopes, for any router: `Depends(require_scope("catalog:write"))`.

Keys arrive in `X-API-Key` (or `Authorization: Bearer …`, or the dashboard's cookie) and are
looked up by their SHA-256 digest only: a `KeyRing` on `app.state.api_keys` maps digests to a
`Principal`. Scopes are plain strings (`catalog:write`, `storefront`, `ops`, `admin`, ...); the
scope `*` allows everything. The rate limiter (serving/edge/rate_limit.py) resolves the key
first and leaves the answer in the request's state, so a route does not look it up twice.

Every route either depends on a `ScopeCheck` (its scopes are read back by `required_scopes`),
or is listed in `PUBLIC_ROUTES` or `SELF_CHECKED_ROUTES`: tests/unit/serving/test_scope_matrix.py
walks `app.routes` and fails on a route without a decision.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from fastapi.dependencies.models import Dependant
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import Scope

from contracts.scopes import FACTS, STOREFRONT

ALL_SCOPES = "*"
SCOPES = frozenset({
    STOREFRONT, FACTS, "admin", "health", "ops", "catalog:write", "inventory:write",
    "orders:read", "orders:write", "communities:write", "podcasts:write"})
"""Every scope a route or an event type may ask for (a test holds routes to it); `*` is all."""
PRINCIPAL_STATE = "principal"
"""`scope["state"]` key: the principal of the request's key (None: invalid), once resolved."""


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
_UNKNOWN_KEPT = 10_000
_KNOWN_KEPT = 100_000


@dataclass(kw_only=True)
class KeyRing:
    """Static keys (by digest) first, then `lookup`; answers are cached for `ttl_s`.

    Unknown digests are remembered apart, in a bounded LRU: a flood of junk keys evicts only
    other junk, never a valid key's entry (which would send every caller to the database).
    """

    static: Mapping[str, Principal] = field(default_factory=dict)
    lookup: Lookup | None = None
    ttl_s: float = 30.0
    _known: dict[str, tuple[float, Principal]] = field(default_factory=dict, init=False)
    _unknown: OrderedDict[str, float] = field(default_factory=OrderedDict, init=False)

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
        now = time.monotonic()
        hit = self._known.get(key)
        if hit is not None and hit[0] > now:
            return True, hit[1]
        expires = self._unknown.get(key)
        if expires is not None and expires > now:
            return True, None
        return False, None

    def was_valid(self, key: str) -> bool:
        """Whether `key` was a valid key when last looked up (its entry may have expired)."""
        return key in self.static or key in self._known

    def fetch(self, key: str) -> Principal | None:
        """Ask `lookup` (may block) and cache the answer."""
        assert self.lookup is not None
        found: Principal | None = self.lookup(key)
        expires = time.monotonic() + self.ttl_s
        if found is None:
            self._known.pop(key, None)  # revoked
            self._unknown[key] = expires
            self._unknown.move_to_end(key)
            while len(self._unknown) > _UNKNOWN_KEPT:
                self._unknown.popitem(last=False)
        else:
            self._unknown.pop(key, None)
            if len(self._known) >= _KNOWN_KEPT:  # real keys only: bounded by the database
                self._known.clear()
            self._known[key] = (expires, found)
        return found


def static_keys(keys: Iterable[tuple[str, str, Iterable[str]]]) -> dict[str, Principal]:
    """`(name, raw key, scopes)` triples as a digest → principal map."""
    return {digest(raw): Principal(key_id=name, name=name, scopes=frozenset(scopes))
            for name, raw, scopes in keys}


KEY_COOKIE = "agora_key"


def raw_key_of(scope: Scope) -> str | None:
    """The key a request presents: `X-API-Key`, else a bearer token, else the cookie."""
    api_key = bearer = cookie = None
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            api_key = value
        elif name == b"authorization":
            bearer = value
        elif name == b"cookie":
            cookie = value
    if api_key:
        return api_key.decode("latin-1")
    if bearer:
        method, _, token = bearer.decode("latin-1").partition(" ")
        if method.lower() == "bearer" and token.strip():
            return token.strip()
    # A browser page cannot set headers on an EventSource: it signs in once (cookie).
    if cookie:
        return cookie_parser(cookie.decode("latin-1")).get(KEY_COOKIE) or None
    return None


async def principal_of(request: Request, raw: str) -> Principal | None:
    ring: KeyRing | None = getattr(request.app.state, "api_keys", None)
    if ring is None:
        return None
    key = digest(raw)
    known, principal = ring.cached(key)
    if not known:  # only a cache miss pays for a worker thread
        principal = await run_in_threadpool(ring.fetch, key)
    return principal


async def _principal(request: Request) -> Principal:
    """The request's principal, or a 401 (resolved by the rate limiter when it ran)."""
    raw = raw_key_of(request.scope)
    if raw is None:
        raise HTTPException(401, "an API key is required (X-API-Key header)",
                            headers={"WWW-Authenticate": "ApiKey"})
    state = request.scope.get("state") or {}
    if PRINCIPAL_STATE in state:
        principal = state[PRINCIPAL_STATE]
    else:
        principal = await principal_of(request, raw)
    if principal is None:
        raise HTTPException(401, "unknown or revoked API key",
                            headers={"WWW-Authenticate": "ApiKey"})
    return principal


@dataclass(frozen=True, slots=True)
class ScopeCheck:
    """A dependency admitting keys that hold any one of `scopes`; 401 without a valid key,
    403 when the key lacks the scope. Its `scopes` are the route's declared requirement."""

    scopes: tuple[str, ...]

    async def __call__(self, request: Request) -> Principal:
        principal = await _principal(request)
        if not any(principal.allows(s) for s in self.scopes):
            raise HTTPException(403, f"this API key lacks the scope {' or '.join(self.scopes)}")
        return principal


def require_scope(*scopes: str) -> ScopeCheck:
    return ScopeCheck(scopes=scopes)


@dataclass(frozen=True, slots=True)
class OpsAccess:
    """Analytics and the dashboard: open where `analytics_public` (the demo), else `ops`."""

    scopes: tuple[str, ...] = ("ops",)

    async def __call__(self, request: Request) -> None:
        if not request.app.state.settings.analytics_public:
            await ScopeCheck(scopes=self.scopes)(request)


ops_access = OpsAccess()

# Routes open to anyone, each a decision: reads of the public catalogue (products, stock,
# communities, shows), trending, the probes and scrapes, the API's own docs, dashboard assets.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    ("GET", "/v1/analytics/metrics"),  # Prometheus scrapes it like /metrics
    ("GET", "/v1/trending"),
    ("GET", "/v1/catalog/products"), ("GET", "/v1/catalog/products/{sku}"),
    ("GET", "/v1/inventory/{product_id}"),
    ("GET", "/v1/communities/{community_id}"), ("GET", "/v1/communities/posts/{post_id}"),
    ("GET", "/v1/podcasts/shows/{show_id}"),
    ("GET", "/dashboard/assets/{name:path}"),
})
# Routes that check a scope in their body rather than as a dependency.
SELF_CHECKED_ROUTES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/dashboard"): ("ops",),  # `?key=` signs in first, then `ops_access`
}


def required_scopes(dependant: Dependant) -> frozenset[str]:
    """Every scope a route's dependencies accept (empty: no scope check among them)."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if isinstance(sub.call, ScopeCheck | OpsAccess):
            found.update(sub.call.scopes)
        found |= required_scopes(sub)
    return frozenset(found)
