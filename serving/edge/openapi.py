"""What the edge answers, declared in the OpenAPI schema: the API-key security schemes (Swagger's
Authorize button) and the errors any route may meet before its handler runs.

Declared from the routes themselves, so the schema cannot drift from them: a route whose
dependencies check a scope (`edge.auth.required_scopes`) gets the security schemes, 401, 403
and 503 (its key looked up while the database is down); every route the rate limit covers
gets 429; every route with a body gets 413; every route with parameters or a body keeps the
422 FastAPI declares. A route's own declaration of a code wins.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from serving.edge.auth import OpsAccess, ScopeCheck, required_scopes
from serving.edge.rate_limit import EXEMPT
from serving.schemas.errors import Error

API_KEY = "ApiKey"
BEARER = "Bearer"
SCHEMES: dict[str, dict[str, Any]] = {
    API_KEY: {"type": "apiKey", "in": "header", "name": "X-API-Key",
              "description": "An API key (`agora db issue-key`); its scopes decide the routes."},
    BEARER: {"type": "http", "scheme": "bearer",
             "description": "The same API key as `Authorization: Bearer <key>`."},
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait",
                                "schema": {"type": "integer"}}}


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": _ERROR, **extra}


def _scoped(route: Any) -> tuple[frozenset[str], bool]:
    """The scopes a route asks for, and whether the check depends on `analytics_public`."""
    scopes = required_scopes(route.dependant)
    checks = {type(sub.call) for sub in _walk(route.dependant)}
    return scopes, OpsAccess in checks and ScopeCheck not in checks


def _walk(dependant: Any) -> list[Any]:
    found = []
    for sub in dependant.dependencies:
        found.append(sub)
        found.extend(_walk(sub))
    return found


def declare(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """The schema FastAPI built, with the edge's schemes and error responses added."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SCHEMES)
    components.setdefault("schemas", {})["Error"] = Error.model_json_schema(
        ref_template="#/components/schemas/{model}")
    for name, sub in components["schemas"]["Error"].pop("$defs", {}).items():
        components["schemas"].setdefault(name, sub)
    analytics_public = app.state.settings.analytics_public
    for route in iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None or not route.include_in_schema:
            continue
        scopes, ops_only = _scoped(route)
        if ops_only and analytics_public:
            scopes = frozenset()
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            if scopes:
                operation["security"] = [{API_KEY: []}, {BEARER: []}]
                needs = " or ".join(sorted(scopes))
                responses.setdefault("401", _error("No API key, or an unknown or revoked one"))
                responses.setdefault("403", _error(f"The key lacks the scope {needs}"))
                responses.setdefault("503", _error(
                    "The key could not be looked up (the database is unavailable)",
                    headers=_RETRY_AFTER))
            if route.body_field is not None:
                responses.setdefault("413", _error("The request body is too large"))
            if route.path_format not in EXEMPT:
                responses.setdefault("429", _error(
                    "Rate limit exceeded (the key's budget, else the address's)",
                    headers=_RETRY_AFTER))
    return schema


def document(app: FastAPI) -> None:
    """Make `app.openapi()` return the schema with the edge declared (built once)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare(build(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
