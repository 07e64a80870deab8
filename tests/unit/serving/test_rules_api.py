"""/v1/rules over HTTP: validation naming the field, the admin scope, changes raising the
revision, and a rule created through one app instance served by another on the same database."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from agents.podcast.logic import podcast_writes
from agora.settings import ServingSettings
from contracts.podcast import EpisodePublished
from features.online import WriteBatch
from launch.broker import free_port
from tests.unit.serving.conftest import STOREFRONT_KEY, FakeSource, app_state, serving_client

BOOST = {"action": "boost", "weight": 1.0, "match": {"categories": ["books"]}}


def test_create_list_deactivate_delete(client):
    made = client.post("/v1/rules", json={**BOOST, "name": "books up"})
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["action"] == "boost" and rule["match"] == {"categories": ["books"]}
    pin = client.post("/v1/rules", json={"action": "pin", "item_id": "product:audio3",
                                         "position": 2}).json()
    listed = client.get("/v1/rules").json()
    assert listed["revision"] == pin["revision"] == rule["revision"] + 1
    assert [r["rule_id"] for r in listed["rules"]] == [rule["rule_id"], pin["rule_id"]]
    off = client.patch(f"/v1/rules/{rule['rule_id']}", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    gone = client.delete(f"/v1/rules/{pin['rule_id']}")
    assert gone.status_code == 200
    assert client.delete(f"/v1/rules/{pin['rule_id']}").status_code == 404
    listed = client.get("/v1/rules").json()
    assert [(r["rule_id"], r["active"]) for r in listed["rules"]] == [(rule["rule_id"], False)]
    assert listed["revision"] == gone.json()["revision"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory, knn_model) -> Iterator[TestClient]:
    """One app for the requests that change nothing (an app costs seconds to open)."""
    settings = ServingSettings(data_dir=tmp_path_factory.mktemp("rules"), redis_url=None,
                               kafka_bootstrap=f"127.0.0.1:{free_port()}", model_poll_s=3600)
    source = FakeSource(aliases={"champion": "1"}, versions={"1": knn_model})
    with serving_client(settings, source) as c:
        yield c


@pytest.mark.parametrize(("body", "loc"), [
    ({**BOOST, "match": {"colour": ["red"]}}, ["body", "boost", "match", "colour"]),
    ({**BOOST, "match": {"price_min": 50, "price_max": 10}},
     ["body", "boost", "match", "price_max"]),
    ({**BOOST, "match": {"max_age_s": 10, "min_age_s": 50}},
     ["body", "boost", "match", "min_age_s"]),
    ({**BOOST, "match": {}}, ["body", "boost", "match"]),
    ({**BOOST, "weight": 0}, ["body", "boost", "weight"]),
    ({"action": "pin", "item_id": "product:a", "position": 0}, ["body", "pin", "position"]),
    ({"action": "pin", "item_id": "product:a", "position": 101}, ["body", "pin", "position"]),
    ({"action": "promote", "share": 1.5, "match": {"kinds": ["post"]}},
     ["body", "promote", "share"]),
    ({"action": "promote", "share": 0, "match": {"kinds": ["post"]}},
     ["body", "promote", "share"]),
    ({"action": "filter", "match": {"kinds": ["planet"]}},
     ["body", "filter", "match", "kinds", 0]),
    ({"action": "filter", "match": {"categories": ["x"] * 101}},
     ["body", "filter", "match", "categories"]),
    ({**BOOST, "name": "n" * 201}, ["body", "boost", "name"]),
    ({"action": "shuffle"}, ["body"]),
])
def test_a_broken_rule_is_a_422_naming_the_field(shared, body, loc):
    answer = shared.post("/v1/rules", json=body)
    assert answer.status_code == 422, answer.text
    assert loc in [e["loc"] for e in answer.json()["detail"]]
    assert shared.get("/v1/rules").json()["rules"] == []


def test_rules_need_the_admin_scope(shared):
    client = shared
    storefront = {"X-API-Key": STOREFRONT_KEY}
    assert client.post("/v1/rules", json=BOOST, headers=storefront).status_code == 403
    assert client.get("/v1/rules", headers=storefront).status_code == 403
    assert client.get("/v1/rules", headers={"X-API-Key": "nope"}).status_code == 401


def wait_for(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


def make_rule(client, body) -> str:
    made = client.post("/v1/rules", json=body)
    assert made.status_code == 201, made.text
    wait_for(lambda: app_state(client).rules.current.revision == made.json()["revision"])
    return str(made.json()["rule_id"])


def listed(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [i["item_id"] for i in answer.json()["items"]]


def test_each_kind_of_rule_on_the_lists(client):
    """Over the item-kNN model: user u0 mostly touched audio products (conftest)."""
    books = range(40)  # the catalogue describes the books: category, price 2n, a seller
    assert client.put("/v1/catalog/products", json={"products": [
        {"sku": f"books{n}", "title": f"book {n}", "category": "novels",
         "price": {"amount": 2 * n, "currency": "USD"}} for n in books]}).status_code == 200
    for n in books:
        assert client.post("/v1/catalog/listings", json={
            "seller_id": "s-odd" if n % 2 else "s-even", "sku": f"books{n}",
            "price": {"amount": 2 * n, "currency": "USD"}}).status_code == 201
    # a loaded test machine may take longer than a request waits for the catalogue
    app_state(client).rules.attribute_timeout_s = 10.0
    newcomer = "/v1/users/newcomer/recommendations?k=10&domain=commerce"
    plain = listed(client.get(newcomer))
    cheap = {f"product:books{n}" for n in books if 2 * n <= 45}
    boost = make_rule(client, {"action": "boost", "weight": 2.0,
                               "match": {"categories": ["novels"], "price_max": 45}})
    answer = client.get(newcomer)
    got = listed(answer)
    boosted = [i for i in got if i in cheap]
    assert boosted and got[:len(boosted)] == boosted  # every cheap novel served comes first
    assert all(got.index(i) <= plain.index(i) for i in boosted if i in plain)
    assert answer.json()["rules"] == [boost]

    odd = make_rule(client, {"action": "filter", "mode": "exclude",
                             "match": {"sellers": ["s-odd"]}})
    got = listed(client.get(newcomer))
    assert not {f"product:books{n}" for n in books if n % 2} & set(got)

    pin = make_rule(client, {"action": "pin", "item_id": "product:books8", "position": 3})
    answer = client.get(newcomer)
    assert listed(answer)[2] == "product:books8"
    assert pin in answer.json()["rules"]
    # not in a podcast list, nor in a list that excludes it
    assert "product:books8" not in listed(
        client.get("/v1/users/u0/recommendations?k=10&domain=podcast"))
    assert "product:books8" not in listed(client.get(
        "/v1/users/u0/recommendations?k=10&exclude=product:books8"))

    for rule in (boost, odd, pin):
        client.delete(f"/v1/rules/{rule}")
    # a promotion of items the model ranks 21st to 30th gets 30% of a list of 10
    deep = listed(client.get("/v1/users/u0/recommendations?k=30"))[20:]
    promo = make_rule(client, {"action": "promote", "share": 0.3,
                               "match": {"item_ids": deep}})
    answer = client.get("/v1/users/u0/recommendations?k=10")
    assert len(set(listed(answer)) & set(deep)) >= 3 and answer.json()["rules"] == [promo]
    client.delete(f"/v1/rules/{promo}")
    pin = make_rule(client, {"action": "pin", "item_id": "product:books8", "position": 1})
    similar = client.get("/v1/items/product:audio1/similar?k=10")
    assert listed(similar)[0] == "product:books8" and similar.json()["rules"] == [pin]
    assert "product:books8" not in listed(client.get(
        "/v1/items/product:books8/similar?k=10"))  # never an item's own neighbour
    client.delete(f"/v1/rules/{pin}")

    # rank reorders the storefront's candidates, never adds one
    candidates = ["product:audio1", "product:audio2", "product:books2"]
    pin = make_rule(client, {"action": "pin", "item_id": "product:books2", "position": 1})
    make_rule(client, {"action": "pin", "item_id": "product:books9", "position": 2})
    ranked = client.post("/v1/rank", json={"user_id": "u0", "candidates": candidates})
    assert listed(ranked)[0] == "product:books2" and set(listed(ranked)) == set(candidates)
    assert ranked.json()["rules"] == [pin]


def test_freshness_rules(client):
    """Products dated by the catalogue when created; episodes by the stream's record of their
    `episode_published` (the worker's own podcast logic writes it)."""
    assert client.put("/v1/catalog/products", json={"products": [
        {"sku": f"books{n}", "title": f"book {n}", "category": "novels",
         "price": {"amount": n, "currency": "USD"}} for n in range(40)]}).status_code == 200
    now = datetime.now(UTC)
    batch = WriteBatch()
    podcast_writes([EpisodePublished(
        event_id=uuid.uuid4(), occurred_at=now - timedelta(days=10 if n < 5 else 0, hours=1),
        episode_id=f"e{n}", show_id="s1", title=f"episode {n}", duration_s=600.0)
        for n in range(10)], batch=batch, once_ttl_s=3600.0)
    assert client.portal is not None
    client.portal.call(app_state(client).store.apply, batch)
    app_state(client).rules.attribute_timeout_s = 10.0

    newcomer = "/v1/users/newcomer/recommendations?k=10&domain=commerce"
    plain = listed(client.get(newcomer))
    assert any(i.startswith("product:audio") for i in plain)
    fresh = make_rule(client, {"action": "boost", "weight": 2.0,
                               "match": {"max_age_s": 86_400}})
    answer = client.get(newcomer)
    got = listed(answer)
    assert all(i.startswith("product:books") for i in got)  # audio is not in the catalogue
    assert answer.json()["rules"] == [fresh]
    client.delete(f"/v1/rules/{fresh}")

    old = {f"episode:e{n}" for n in range(5)}
    podcasts = "/v1/users/u3/recommendations?k=5&domain=podcast"
    wait_for(lambda: not app_state(client).rules.current.rules)
    assert old & set(listed(client.get(podcasts)))  # the model serves old episodes
    stale = make_rule(client, {"action": "filter", "mode": "exclude",
                               "match": {"kinds": ["episode"], "min_age_s": 5 * 86_400}})
    answer = client.get(podcasts)
    assert listed(answer) and not old & set(listed(answer))
    assert answer.json()["rules"] == [stale]
    # products created minutes ago are not five days old: the commerce list is untouched
    assert client.get(newcomer).json()["rules"] == []


def test_a_rule_created_on_one_replica_is_served_by_another(settings, source):
    """Two app instances on one database (a SQLite file): the second follows the revision."""
    with serving_client(settings, source) as one, serving_client(settings, source) as two:
        assert two.get("/v1/trending?domain=commerce").json()["rules"] == []
        assert two.get("/v1/users/u0/recommendations?k=5").json()["rules"] == []
        pin = one.post("/v1/rules", json={"action": "pin", "item_id": "product:audio7",
                                          "position": 1}).json()
        wait_for(lambda: app_state(two).rules.current.revision == pin["revision"])
        trending = two.get("/v1/trending?domain=commerce").json()
        assert [i["item_id"] for i in trending["items"]][:1] == ["product:audio7"]
        assert trending["rules"] == [pin["rule_id"]]
        recommended = two.get("/v1/users/u0/recommendations?k=5").json()
        assert recommended["items"][0]["item_id"] == "product:audio7"
        assert recommended["rules"] == [pin["rule_id"]]
        # a pin of another domain's item stays out of this domain's list
        assert two.get("/v1/trending?domain=podcast").json()["rules"] == []
        one.patch(f"/v1/rules/{pin['rule_id']}", json={"active": False})
        wait_for(lambda: not app_state(two).rules.current.rules)
        assert two.get("/v1/trending?domain=commerce").json()["rules"] == []
