"""Every route's parameters and body fields are bounded (checked on the OpenAPI schema the app
publishes), and values beyond the bounds are 422s naming them, never 500s."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
from launch.broker import free_port
from serving.app import create_app
from tests.unit.serving.conftest import serving_client

# Fixed-length patterns bound a string by themselves.
FIXED_PATTERNS = {r"^[A-Z]{3}$"}
# Bounded elsewhere, and why:
BOUNDED_ELSEWHERE = {
    # the batch: `events_max_batch` (413) and the body limit; each event: its contract
    "POST /v1/events body<EventBatch>.events",
    "POST /v1/events body<EventBatch>.events[][]",
}


def _unbounded(schema: dict[str, Any], where: str, components: dict[str, Any],
               seen: tuple[str, ...] = ()) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return _unbounded(components[name], f"{where}<{name}>", components, (*seen, name))
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _unbounded(sub, where, components, seen)
    kind = schema.get("type")
    fixed = "enum" in schema or "const" in schema
    if kind == "string" and not fixed and "maxLength" not in schema \
            and schema.get("pattern") not in FIXED_PATTERNS and "format" not in schema:
        found.append(where)
    if kind in ("integer", "number") and not fixed and not (
            {"minimum", "exclusiveMinimum"} & set(schema)
            and {"maximum", "exclusiveMaximum"} & set(schema)):
        found.append(where)
    if kind == "array":
        if "maxItems" not in schema:
            found.append(where)
        found += _unbounded(schema.get("items", {}), f"{where}[]", components, seen)
    if kind == "object" and schema.get("additionalProperties") not in (None, False):
        found.append(f"{where}[]")
    for name, prop in schema.get("properties", {}).items():
        found += _unbounded(prop, f"{where}.{name}", components, seen)
    return found


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module (no model: these answers never reach one)."""
    settings = ServingSettings(data_dir=tmp_path_factory.mktemp("bounds"), redis_url=None,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=3600)
    with serving_client(settings, None) as c:
        yield c


def test_every_parameter_and_body_field_is_bounded(tmp_path) -> None:
    spec = create_app(ServingSettings(data_dir=tmp_path)).openapi()
    components = spec["components"]["schemas"]
    unbounded: list[str] = []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            operations += 1
            label = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                unbounded += _unbounded(param.get("schema", {}),
                                        f"{label} {param['in']}:{param['name']}", components)
            for content in op.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(content["schema"], f"{label} body", components)
    assert operations >= 35
    assert set(unbounded) <= BOUNDED_ELSEWHERE, sorted(set(unbounded) - BOUNDED_ELSEWHERE)


def _field_of(response) -> list[Any]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


@pytest.mark.parametrize(("url", "loc"), [
    ("/v1/catalog/products?limit=1&offset=18110506852147308544", ["query", "offset"]),
    ("/v1/catalog/products?offset=100001", ["query", "offset"]),
    ("/v1/catalog/products?category=a%00b", ["query", "category"]),
    ("/v1/catalog/products/" + "s" * 129, ["path", "sku"]),
    ("/v1/catalog/products/a%00b", ["path", "sku"]),
    ("/v1/inventory/a%20b", ["path", "product_id"]),
    ("/v1/orders/" + "o" * 129, ["path", "order_id"]),
    ("/v1/communities/c%0A1", ["path", "community_id"]),
    ("/v1/communities/posts/p%7F", ["path", "post_id"]),
    ("/v1/podcasts/shows/" + "s" * 200, ["path", "show_id"]),
    ("/v1/items/product:a%00b/similar", ["path", "item_id"]),
    ("/v1/users/u%01/recommendations", ["path", "user_id"]),
    ("/v1/users/u1/recommendations?surface=a%20b", ["query", "surface"]),
    ("/v1/users/u1/recommendations?exclude=" + "x" * 129, ["query", "exclude"]),
    ("/v1/trending?domain=commerce&k=101", ["query", "k"]),
])
def test_values_beyond_the_bounds_are_422s_naming_them(client: TestClient, url: str,
                                                       loc: list[str]) -> None:
    locs = _field_of(client.get(url))
    assert any(found[:2] == loc for found in locs), locs


def test_an_idempotency_key_fits_its_column(client: TestClient) -> None:
    order = {"user_id": "u1", "currency": "EUR", "lines": [{"product_id": "P1", "quantity": 1}]}
    r = client.post("/v1/orders", json=order, headers={"Idempotency-Key": "k" * 201})
    assert ["header", "Idempotency-Key"] in _field_of(r)


def test_a_core_result_beyond_a_contract_is_a_422_naming_it(client: TestClient) -> None:
    """Prices up to 10^9 each, but an order's total is an amount too: refused, not a 500."""
    product = {"sku": "BIG", "title": "gold", "category": "luxury",
               "price": {"amount": "999999999.99", "currency": "EUR"}}
    assert client.post("/v1/catalog/products", json=product).status_code == 201
    assert client.post("/v1/inventory/BIG/restock", json={"quantity": 10}).status_code == 200
    order = {"user_id": "u1", "currency": "EUR", "lines": [{"product_id": "BIG", "quantity": 2}]}
    assert ["total"] in _field_of(client.post("/v1/orders", json=order))
    stock = client.get("/v1/inventory/BIG").json()
    assert stock["available"] == 10  # nothing was reserved
    order["lines"] = [{"product_id": "BIG", "quantity": 1}]
    assert client.post("/v1/orders", json=order).status_code == 201


@pytest.mark.parametrize("occurred_at", ["9999-12-31T23:59:59-14:00",
                                         "0001-01-01T00:00:00+14:00",
                                         "1989-12-31T23:59:59Z"])
def test_events_out_of_the_window_are_422s_naming_occurred_at(client: TestClient,
                                                               occurred_at: str) -> None:
    event = {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
             "occurred_at": occurred_at, "product_id": "P1", "category": "c", "price": 1}
    r = client.post("/v1/events", json={"events": [event]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "occurred_at"


@pytest.mark.parametrize(("url", "body", "loc"), [
    ("/v1/catalog/products", {"sku": "S1", "title": "a\x00b", "category": "c",
                              "price": {"amount": "1", "currency": "EUR"}}, "title"),
    ("/v1/catalog/products", {"sku": "S1", "title": "t", "description": "\x00", "category": "c",
                              "price": {"amount": "1", "currency": "EUR"}}, "description"),
    ("/v1/catalog/products", {"sku": "S1", "title": "   ", "category": "c",
                              "price": {"amount": "1", "currency": "EUR"}}, "title"),
    ("/v1/catalog/products", {"sku": "S1", "title": "t", "category": "c",
                              "price": {"amount": "1000000000.01", "currency": "EUR"}},
     "price"),
    ("/v1/communities", {"community_id": "c1", "name": "n\x00", "owner_id": "o"}, "name"),
])
def test_texts_hold_no_nul_since_postgresql_cannot(client: TestClient, url: str,
                                                  body: dict[str, Any], loc: str) -> None:
    """PostgreSQL's text refuses NUL: refused at the edge, naming the field, on every store."""
    locs = _field_of(client.post(url, json=body))
    assert any(found[:2] == ["body", loc] for found in locs), locs
