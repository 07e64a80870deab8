"""The published schema: security schemes, the edge's error responses and typed answers."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from serving.app import create_app
from serving.edge.auth import PUBLIC_ROUTES

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = ServingSettings(data_dir=tmp_path_factory.mktemp("openapi"),
                               analytics_public=False)
    # no lifespan: the schema is built from the routes alone
    return TestClient(create_app(settings)).get("/openapi.json").json()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items()
            for method, op in ops.items() if method in METHODS]


def test_the_api_key_schemes_are_declared(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {**schemes["ApiKey"], "type": "apiKey", "in": "header",
                                 "name": "X-API-Key"}
    assert schemes["Bearer"]["scheme"] == "bearer"


def test_every_route_with_a_scope_declares_security_and_its_errors(
        schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if (method, path) in PUBLIC_ROUTES:
            assert "security" not in op and "401" not in op["responses"], (method, path)
            continue
        assert op["security"] == [{"ApiKey": []}, {"Bearer": []}], (method, path)
        assert {"401", "403", "503"} <= set(op["responses"]), (method, path)


def test_rate_limited_routes_declare_429_and_bodies_413(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        responses = op["responses"]
        if path in ("/healthz", "/readyz"):
            assert "429" not in responses
        else:
            assert "Retry-After" in responses["429"]["headers"], (method, path)
        if "requestBody" in op:
            assert "413" in responses, (method, path)
    forbidden = schema["paths"]["/v1/events"]["post"]["responses"]["403"]["description"]
    assert "event_types" in forbidden  # a route's own description wins


def test_every_core_route_answers_a_typed_model(schema: dict[str, Any]) -> None:
    prefixes = ("/v1/catalog", "/v1/inventory", "/v1/orders", "/v1/communities", "/v1/podcasts")
    core = [(m, p, op) for m, p, op in operations(schema) if p.startswith(prefixes)]
    assert len(core) >= 20
    for method, path, op in core:
        success = next(v for k, v in op["responses"].items() if k.startswith("2"))
        body = success["content"]["application/json"]["schema"]
        refs = [body.get("$ref")] if "$ref" in body else [b["$ref"] for b in body["anyOf"]]
        for ref in refs:
            name = ref.rsplit("/", 1)[-1]
            assert name.endswith(("Out", "Page")), (method, path, name)
            assert schema["components"]["schemas"][name]["additionalProperties"] is False
        assert {"404", "503"} <= set(op["responses"]), (method, path)


def test_closed_sets_are_enums(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    answer = components["Recommendations"]["properties"]
    assert components["Alias"]["enum"] == ["champion", "challenger"]
    assert answer["variant"]["$ref"].endswith("/Alias")
    assert "given_order" in components["Strategy"]["enum"]
    assert answer["fallback"]["items"]["$ref"].endswith("/Fallback")
    assert "payment_failed" in components["OrderStatus"]["enum"]
