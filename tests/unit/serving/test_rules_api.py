"""/v1/rules over HTTP: validation naming the field, the admin scope, changes raising the
revision, and a rule created through one app instance served by another on the same database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from agora.settings import ServingSettings
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


def test_a_rule_created_on_one_replica_is_served_by_another(settings, source):
    """Two app instances on one database (a SQLite file): the second follows the revision."""
    with serving_client(settings, source) as one, serving_client(settings, source) as two:
        assert two.get("/v1/trending?domain=commerce").json()["rules"] == []
        pin = one.post("/v1/rules", json={"action": "pin", "item_id": "product:audio7",
                                          "position": 1}).json()
        wait_for(lambda: app_state(two).rules.current.revision == pin["revision"])
        trending = two.get("/v1/trending?domain=commerce").json()
        assert [i["item_id"] for i in trending["items"]][:1] == ["product:audio7"]
        assert trending["rules"] == [pin["rule_id"]]
        # a pin of another domain's item stays out of this domain's list
        assert two.get("/v1/trending?domain=podcast").json()["rules"] == []
        one.patch(f"/v1/rules/{pin['rule_id']}", json={"active": False})
        wait_for(lambda: not app_state(two).rules.current.rules)
        assert two.get("/v1/trending?domain=commerce").json()["rules"] == []
