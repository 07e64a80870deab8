"""Every route of the app has an explicit scope decision, and each scope is refused (403)
where it does not belong and admitted where it does: a matrix generated from `app.routes`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.edge.auth import (
    ALL_SCOPES,
    PUBLIC_ROUTES,
    SCOPES,
    SELF_CHECKED_ROUTES,
    KeyRing,
    required_scopes,
    static_keys,
)

LACKS_SCOPE = "lacks the scope"


def key_of(scope: str) -> str:
    return f"matrix-key-{scope}-0123456789"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    scopes: frozenset[str]  # empty: public

    def url(self) -> str:
        # `interval=0` is refused (422) by the stream only, after its scope check: the stream
        # answers at once instead of streaming
        return re.sub(r"\{[^}]+\}", "x", self.path) + "?interval=0"


def operations(app) -> Iterator[Operation]:
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        path = str(route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            declared = required_scopes(dependant) if dependant is not None else frozenset()
            self_checked = frozenset(SELF_CHECKED_ROUTES.get((method, path), ()))
            yield Operation(method, path, declared | self_checked)


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory):
    from agora.settings import ServingSettings
    from launch.broker import free_port

    settings = ServingSettings(
        data_dir=tmp_path_factory.mktemp("matrix"), kafka_bootstrap=f"127.0.0.1:{free_port()}",
        model_poll_s=3600, redis_url=None, analytics_public=False, rate_limit_per_s=1e9,
        rate_limit_burst=10**9)
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.api_keys = KeyRing(static=static_keys(
            [(s, key_of(s), [s]) for s in SCOPES] + [("all", key_of("all"), [ALL_SCOPES])]))
        yield app, client


def test_every_route_has_a_scope_decision(matrix_app) -> None:
    app, _ = matrix_app
    ops = list(operations(app))
    assert len(ops) > 40
    for op in ops:
        public = (op.method, op.path) in PUBLIC_ROUTES
        assert op.scopes or public, f"{op.method} {op.path}: no scope and not public"
        assert not (op.scopes and public), f"{op.method} {op.path}: public and scoped"
        assert op.scopes <= SCOPES, f"{op.method} {op.path}: undeclared {op.scopes - SCOPES}"
    routes = {(op.method, op.path) for op in ops}
    assert routes >= PUBLIC_ROUTES, f"stale public routes: {PUBLIC_ROUTES - routes}"
    assert routes >= set(SELF_CHECKED_ROUTES)


def test_every_declared_scope_is_used(matrix_app) -> None:
    from contracts.scopes import EVENT_SCOPES

    app, _ = matrix_app
    used = {s for op in operations(app) for s in op.scopes} | set(EVENT_SCOPES.values())
    assert used == SCOPES


def _send(client: TestClient, op: Operation, key: str | None):
    headers = {"X-API-Key": key} if key else {}
    body: dict[str, object] | None = {} if op.method in ("POST", "PUT", "PATCH") else None
    return client.request(op.method, op.url(), headers=headers, json=body)


def test_each_scope_is_refused_where_it_does_not_belong(matrix_app) -> None:
    app, client = matrix_app
    for op in operations(app):
        if not op.scopes:
            r = _send(client, op, None)
            assert r.status_code not in (401, 403), (op, r.status_code, r.text)
            continue
        anonymous = _send(client, op, None)
        assert anonymous.status_code == 401, (op, anonymous.text)
        junk = _send(client, op, "not-a-key-0123456789")
        assert junk.status_code == 401, (op, junk.text)
        for scope in [*sorted(SCOPES), "all"]:
            r = _send(client, op, key_of(scope))
            refused = r.status_code == 403 and LACKS_SCOPE in r.text
            belongs = scope in op.scopes or scope == "all"
            assert r.status_code != 401, (op, scope, r.text)
            assert refused != belongs, (op.method, op.path, scope, r.status_code, r.text)
            assert r.status_code < 500 or r.status_code == 503, (op, scope, r.text)
