"""GET /v1/users/{id}/recommendations, similar items and rank, over a real item-kNN model."""

from __future__ import annotations

import time

from features.online import PushRecent, WriteBatch
from features.users import RecentInteraction, recent_key
from tests.unit.serving.conftest import categories, item_ids


def push_recent(client, user: str, items: list[str], event_type: str = "product_viewed"):
    store = client.app.state.store
    now = time.time()
    values = [RecentInteraction(item_id=i, event_type=event_type, ts=now + n, weight=1.0).encode()
              for n, i in enumerate(items)]
    batch = WriteBatch()
    batch.add(PushRecent(key=recent_key("commerce", user), values=values, max_len=50))
    client.portal.call(store.apply, batch)


def test_response_names_request_model_version_and_variant(client):
    r = client.get("/v1/users/u1/recommendations", params={"k": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["model"] == {"name": "agora-recommender", "version": "1"}
    assert body["variant"] == "champion"
    assert body["request_id"] == r.headers["x-request-id"]
    assert body["strategy"] == "personalised"
    assert body["fallback"] == [] and "x-agora-fallback" not in r.headers
    assert r.headers["x-agora-model"] == "agora-recommender@1"
    assert len(body["items"]) == 5
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)


def test_bad_parameters_are_named(client):
    for params, field in (({"k": 0}, "k"), ({"k": 101}, "k"), ({"domain": "weather"}, "domain"),
                          ({"in_stock": "perhaps"}, "in_stock"), ({"category": ""}, "category")):
        r = client.get("/v1/users/u1/recommendations", params=params)
        assert r.status_code == 422, params
        assert [e["loc"][-1] for e in r.json()["detail"]] == [field]
    r = client.get("/v1/users/u1/recommendations",
                   params={"exclude": ",".join(f"product:x{i}" for i in range(501))})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "exclude"]]
    r = client.get("/v1/users/u%20one/recommendations", params={"k": "many"})
    assert r.status_code == 422
    assert sorted(tuple(e["loc"]) for e in r.json()["detail"]) == [("path", "user_id"),
                                                                   ("query", "k")]


def test_parameters_are_declared_in_openapi(client):
    openapi = client.get("/openapi.json").json()
    route = openapi["paths"]["/v1/users/{user_id}/recommendations"]["get"]
    declared = route["parameters"]
    assert set(route["responses"]) == {"200", "401", "403", "422", "429", "503"}
    assert "HTTPValidationError" in openapi["components"]["schemas"]
    where = {p["name"]: (p["in"], p["required"]) for p in declared}
    assert where == {"user_id": ("path", True), "k": ("query", False),
                     "domain": ("query", False), "category": ("query", False),
                     "exclude": ("query", False), "in_stock": ("query", False),
                     "include_consumed": ("query", False), "surface": ("query", False),
                     "kind": ("query", False), "explain": ("query", False),
                     "cursor": ("query", False), "diversity": ("query", False)}
    domain = next(p for p in declared if p["name"] == "domain")["schema"]
    assert "$ref" not in str(domain) and "commerce" in str(domain)


def test_exclude_repeats_and_comma_separates(client):
    top = [i["item_id"] for i in client.get("/v1/users/u0/recommendations",
                                            params={"k": 3}).json()["items"]]
    r = client.get("/v1/users/u0/recommendations",
                   params=[("k", "10"), ("exclude", f"{top[0]},{top[1]}"), ("exclude", top[2])])
    assert not set(top) & {i["item_id"] for i in r.json()["items"]}


def test_filters_domain_category_and_exclude(client):
    body = client.get("/v1/users/u0/recommendations",
                      params={"k": 10, "category": "books"}).json()
    assert body["items"] and set(categories(body)) == {"books"}
    first = body["items"][0]["item_id"]
    again = client.get("/v1/users/u0/recommendations",
                       params={"k": 10, "category": "books", "exclude": first}).json()
    assert first not in [i["item_id"] for i in again["items"]]
    podcast = client.get("/v1/users/u0/recommendations",
                         params={"k": 5, "domain": "podcast"}).json()
    assert podcast["items"] and all(i["item_id"].startswith("episode:")
                                    for i in podcast["items"])


def test_already_seen_items_are_left_out(client, knn_model):
    row = knn_model.user_row("u2")
    seen = {str(knn_model.item_ids[c]) for c in knn_model.data.matrix[row].indices}
    body = client.get("/v1/users/u2/recommendations", params={"k": 50}).json()
    assert not seen & {i["item_id"] for i in body["items"]}


def test_recent_views_move_the_list_toward_their_category(client):
    # u0 trained on audio; after viewing books items, books must rise in their list.
    before = categories(client.get("/v1/users/u0/recommendations", params={"k": 10}).json())
    push_recent(client, "u0", item_ids("books")[:6])
    after = categories(client.get("/v1/users/u0/recommendations", params={"k": 10}).json())
    assert after.count("books") > before.count("books")
    assert after.count("books") >= 5


def test_purchased_items_are_excluded_unless_asked(client):
    push_recent(client, "newbie", ["product:books3"], event_type="order_placed")
    items = [i["item_id"] for i in client.get("/v1/users/newbie/recommendations",
                                              params={"k": 100}).json()["items"]]
    assert "product:books3" not in items


def test_unknown_user_gets_trending_then_popular(client):
    from features.online import IncrScores
    from features.trending import decay_factor, epoch_of, trending_key

    now = time.time()
    epoch = epoch_of(now)
    batch = WriteBatch()
    batch.add(IncrScores(key=trending_key("commerce", epoch),
                         deltas={"product:audio39": 50.0 * decay_factor(now, epoch, 900.0)}))
    client.portal.call(client.app.state.store.apply, batch)
    body = client.get("/v1/users/stranger/recommendations",
                      params={"k": 5, "domain": "commerce"}).json()
    assert body["strategy"] == "cold_start"
    assert body["items"][0]["item_id"] == "product:audio39"
    assert len(body["items"]) == 5


def test_in_stock_drops_products_with_nothing_on_hand(client):
    from features.inventory import inventory_key
    from features.online import SetFields

    top = client.get("/v1/users/u0/recommendations", params={"k": 3}).json()["items"]
    gone = top[0]["item_id"]
    batch = WriteBatch()
    batch.add(SetFields(key=inventory_key(gone.removeprefix("product:")), values={"on_hand": 0}))
    client.portal.call(client.app.state.store.apply, batch)
    stocked = client.get("/v1/users/u0/recommendations",
                         params={"k": 3, "in_stock": "true"}).json()["items"]
    assert gone not in [i["item_id"] for i in stocked] and len(stocked) == 3


def test_similar_items_and_unknown_item(client):
    body = client.get("/v1/items/product:books1/similar", params={"k": 5}).json()
    assert body["strategy"] == "similar" and body["item_id"] == "product:books1"
    assert set(categories(body)) == {"books"}
    cold = client.get("/v1/items/product:never-seen/similar", params={"k": 5})
    assert cold.status_code == 200
    assert cold.json()["strategy"] == "cold_start"
    assert all(i["item_id"].startswith("product:") for i in cold.json()["items"])
    assert client.get("/v1/items/no-kind/similar").status_code == 422


def test_rank_orders_candidates_for_the_user(client):
    candidates = ["product:audio1", "product:books1", "product:unknown", "product:books2"]
    r = client.post("/v1/rank", json={"user_id": "u1", "candidates": candidates})
    assert r.status_code == 200
    ranked = [i["item_id"] for i in r.json()["items"]]
    assert sorted(ranked) == sorted(candidates)
    assert ranked[-1] == "product:unknown"
    bad = client.post("/v1/rank", json={"user_id": "u1", "candidates": []})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "candidates"
