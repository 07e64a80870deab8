"""The core through HTTP on SQLite and PostgreSQL: scopes, orders, payments, bad payloads."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.service_layer.commands import IssueApiKey

MUG = {"sku": "mug", "title": "Mug", "category": "home", "tags": ["kitchen"],
       "price": {"amount": "4.50", "currency": "USD"}}


def _stocked(client: TestClient, quantity: int = 5) -> None:
    assert client.post("/v1/catalog/products", json=MUG).status_code == 201
    assert client.post("/v1/inventory/mug/restock", json={"quantity": quantity}).status_code == 200


def _order(qty: int = 1, **over: Any) -> dict[str, Any]:
    return {"user_id": "u1", "currency": "USD",
            "lines": [{"product_id": "mug", "quantity": qty}], **over}


def _snapshot(client: TestClient) -> tuple[Any, ...]:
    return (client.get("/v1/inventory/mug").json(), client.get("/v1/catalog/products").json())


def test_writes_need_a_key_with_the_scope(client: TestClient):
    anonymous = client.post("/v1/catalog/products", json=MUG, headers={"X-API-Key": ""})
    assert anonymous.status_code == 401
    assert client.post("/v1/catalog/products", json=MUG,
                       headers={"X-API-Key": "agk_wrong"}).status_code == 401
    bus = client.app.state.core  # type: ignore[attr-defined]
    raw = bus.handle(IssueApiKey(name="reader", scopes=("orders:read",)))["key"]
    denied = client.post("/v1/catalog/products", json=MUG, headers={"X-API-Key": raw})
    assert denied.status_code == 403 and "catalog:write" in denied.json()["detail"]
    raw = bus.handle(IssueApiKey(name="catalog", scopes=("catalog:write",)))["key"]
    assert client.post("/v1/catalog/products", json=MUG,
                       headers={"X-API-Key": raw}).status_code == 201


def test_catalog_create_update_get_list_bulk(client: TestClient):
    _stocked(client)
    assert client.post("/v1/catalog/products", json=MUG).status_code == 409
    patched = client.patch("/v1/catalog/products/mug", json={"price": {"amount": "5",
                                                                       "currency": "USD"}})
    assert patched.json()["price"] == {"amount": "5.00", "currency": "USD"}
    bulk = [{**MUG, "sku": f"p{i:02d}", "title": f"P{i}"} for i in range(30)]
    assert client.put("/v1/catalog/products", json={"products": bulk}).json()["count"] == 30
    page = client.get("/v1/catalog/products", params={"offset": 26, "limit": 10}).json()
    assert [p["sku"] for p in page["items"]] == ["p25", "p26", "p27", "p28", "p29"]
    assert page["has_more"] is False
    assert client.get("/v1/catalog/products/nope").status_code == 404


def test_order_pay_cancel_and_stock(client: TestClient):
    _stocked(client, 5)
    placed = client.post("/v1/orders", json=_order(2))
    assert placed.status_code == 201 and placed.json()["total"]["amount"] == "9.00"
    order_id = placed.json()["order_id"]
    declined = client.post(f"/v1/orders/{order_id}/pay",
                           json={"method": "card", "source": "4000000000000002"})
    assert declined.status_code == 402
    assert declined.json()["detail"]["order"]["status"] == "payment_failed"
    assert client.get("/v1/inventory/mug").json() == {"sku": "mug", "available": 5,
                                                       "reserved": 0}
    second = client.post("/v1/orders", json=_order(1)).json()["order_id"]
    paid = client.post(f"/v1/orders/{second}/pay",
                       json={"method": "card", "source": "4242424242424242"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert client.post(f"/v1/orders/{second}/cancel").status_code == 409
    assert client.post(f"/v1/orders/{second}/fulfil").json()["status"] == "fulfilled"
    third = client.post("/v1/orders", json=_order(1)).json()["order_id"]
    assert client.post(f"/v1/orders/{third}/cancel").json()["status"] == "cancelled"
    assert client.get("/v1/inventory/mug").json() == {"sku": "mug", "available": 4,
                                                       "reserved": 0}
    assert client.get(f"/v1/orders/{third}").json()["status"] == "cancelled"


def test_idempotency_key_returns_the_first_result(client: TestClient):
    _stocked(client, 5)
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post("/v1/orders", json=_order(2), headers=headers)
    again = client.post("/v1/orders", json=_order(2), headers=headers)
    assert again.status_code == first.status_code == 201 and again.json() == first.json()
    assert client.get("/v1/inventory/mug").json()["available"] == 3
    other = client.post("/v1/orders", json=_order(1), headers=headers)
    assert other.status_code == 422
    pay = {"method": "card", "source": "4000000000000002"}
    order_id = first.json()["order_id"]
    a = client.post(f"/v1/orders/{order_id}/pay", json=pay, headers={"Idempotency-Key": "p"})
    b = client.post(f"/v1/orders/{order_id}/pay", json=pay, headers={"Idempotency-Key": "p"})
    assert a.status_code == b.status_code == 402 and a.json() == b.json()


@pytest.mark.parametrize(("body", "status", "loc"), [
    (_order(1, currency="EUR"), 422, ["currency"]),
    (_order(1, currency="usd"), 422, ["body", "currency"]),
    (_order(-1), 422, ["body", "lines", 0, "quantity"]),
    (_order(0), 422, ["body", "lines", 0, "quantity"]),
    ({**_order(1), "lines": [{"product_id": "ghost", "quantity": 1}]}, 422,
     ["lines", 0, "product_id"]),
    (_order(6), 409, ["lines", 0, "quantity"]),
    ({**_order(1), "lines": []}, 422, ["body", "lines"]),
    ({**_order(1), "extra": 1}, 422, ["body", "extra"]),
    ({**_order(1), "lines": [{"product_id": "mug", "quantity": 1}] * 101}, 422,
     ["body", "lines"]),
])
def test_bad_orders_get_a_4xx_naming_the_field_and_change_nothing(
        client: TestClient, body: dict[str, Any], status: int, loc: list[Any]):
    _stocked(client, 5)
    before = _snapshot(client)
    response = client.post("/v1/orders", json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert _snapshot(client) == before


def test_bad_product_payloads(client: TestClient):
    for body, loc in [({**MUG, "price": {"amount": "-1", "currency": "USD"}},
                       ["body", "price", "amount"]),
                      ({**MUG, "price": {"amount": "1.001", "currency": "USD"}},
                       ["body", "price", "amount"]),
                      ({**MUG, "sku": "x" * 129}, ["body", "sku"]),
                      ({**MUG, "title": "t" * 1001}, ["body", "title"])]:
        response = client.post("/v1/catalog/products", json=body)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == loc
    assert client.get("/v1/catalog/products").json()["items"] == []
    assert client.post("/v1/inventory/ghost/restock", json={"quantity": 1}).status_code == 404


def test_communities_and_podcasts(client: TestClient):
    assert client.post("/v1/communities", json={"community_id": "beer", "name": "Beer",
                                                "owner_id": "own"}).status_code == 201
    assert client.post("/v1/communities/beer/members", json={"user_id": "u1"}).status_code == 201
    assert client.post("/v1/communities/beer/posts",
                       json={"author_id": "nobody", "title": "x"}).status_code == 403
    post = client.post("/v1/communities/beer/posts",
                       json={"author_id": "u1", "title": "IPA", "tags": ["hops"]}).json()
    comment = client.post(f"/v1/communities/posts/{post['post_id']}/comments",
                          json={"author_id": "own", "body": "yes"})
    assert comment.status_code == 201
    vote = client.post("/v1/communities/votes", json={"target_type": "post",
                       "target_id": post["post_id"], "user_id": "u2", "value": 1})
    assert vote.json()["score"] == 1
    assert client.post("/v1/communities/reports", json={
        "target_type": "comment", "target_id": comment.json()["comment_id"], "user_id": "u2",
        "reason": "spam"}).status_code == 202
    moderated = client.post("/v1/communities/moderation", json={
        "target_type": "post", "target_id": post["post_id"], "moderator_id": "own",
        "action": "remove", "reason": "off topic"})
    assert moderated.json()["status"] == "removed"
    assert client.post("/v1/podcasts/shows", json={"show_id": "s1", "title": "Show",
                                                   "owner_id": "host"}).status_code == 201
    ep = client.post("/v1/podcasts/shows/s1/episodes",
                     json={"episode_id": "e1", "title": "Pilot", "duration_s": 1800})
    assert ep.status_code == 201
    assert client.get("/v1/podcasts/shows/s1").json()["episodes"][0]["episode_id"] == "e1"
