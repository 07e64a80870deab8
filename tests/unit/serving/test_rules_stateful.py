"""/v1/rules as a state machine (Hypothesis `RuleBasedStateMachine`): rules created, listed,
activated, deactivated and deleted in any order, valid or broken, against the app with its
core and a real item-kNN model. After every step the listing is the model's, each change
raised the revision once, the recommendations obey the active rules (an exclude filter's
items absent, an include filter's the only ones, a pin at its position, only active rules
named), a broken rule is a 422 naming its field, and nothing ever answers a 5xx.

The replica follows the revision by its own poll (`LiveRules.refresh`, once a second); the
test calls that refresh after each change instead of sleeping through a second."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from agora.settings import ServingSettings
from launch.broker import free_port
from tests.unit.serving.conftest import CATEGORIES, FakeSource, app_state, item_ids, serving_client

URL = "/v1/users/u0/recommendations"
K = 10
PRODUCTS = [i for c in CATEGORIES for i in item_ids(c)]
MATCH_FIELDS = {"kinds", "categories", "sellers", "item_ids", "price_min", "price_max",
                "max_age_s", "min_age_s"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, knn_model: Any) -> Iterator[TestClient]:
    settings_ = ServingSettings(data_dir=tmp_path_factory.mktemp("rules-machine"),
                                redis_url=None, kafka_bootstrap=f"127.0.0.1:{free_port()}",
                                model_poll_s=3600)
    source = FakeSource(aliases={"champion": "1"}, versions={"1": knn_model})
    with serving_client(settings_, source) as c:
        # the catalogue describes the products: category rules match through the core
        assert c.put("/v1/catalog/products", json={"products": [
            {"sku": i.removeprefix("product:"), "title": i, "category": i[8:].rstrip(
                string.digits), "price": {"amount": 1, "currency": "USD"}}
            for i in PRODUCTS]}).status_code == 200
        app_state(c).rules.attribute_timeout_s = 10.0
        yield c


def category(item_id: str) -> str | None:
    return item_id[8:].rstrip(string.digits) if item_id.startswith("product:") else None


matches = st.one_of(
    st.builds(lambda c: {"categories": [c]}, st.sampled_from(CATEGORIES)),
    st.builds(lambda i: {"item_ids": i}, st.lists(st.sampled_from(PRODUCTS), min_size=1,
                                                   max_size=8, unique=True)),
    st.just({"kinds": ["product"]}),
)
valid_rules = st.one_of(
    st.builds(lambda a, w, m: {"action": a, "weight": w, "match": m},
              st.sampled_from(["boost", "bury"]),
              st.floats(min_value=0.01, max_value=100, allow_nan=False), matches),
    st.builds(lambda mode, m: {"action": "filter", "mode": mode, "match": m},
              st.sampled_from(["exclude", "include"]), matches),
    st.builds(lambda i, p: {"action": "pin", "item_id": i, "position": p},
              st.sampled_from(PRODUCTS), st.integers(1, K)),
    st.builds(lambda s, m: {"action": "promote", "share": s, "match": m},
              st.floats(min_value=0.05, max_value=1.0, allow_nan=False), matches),
)
# a broken rule and the `loc` its 422 must name
unknown = st.text(string.ascii_lowercase + "_", min_size=1, max_size=12).filter(
    lambda n: n not in MATCH_FIELDS)
broken_rules = st.one_of(
    st.builds(lambda w: ({"action": "boost", "weight": w, "match": {"kinds": ["post"]}},
                         ["body", "boost", "weight"]),
              st.one_of(st.floats(max_value=0, allow_nan=False, allow_infinity=False),
                        st.floats(min_value=100.001, allow_nan=False, allow_infinity=False))),
    st.builds(lambda p: ({"action": "pin", "item_id": "product:audio1", "position": p},
                         ["body", "pin", "position"]),
              st.one_of(st.integers(max_value=0), st.integers(min_value=101))),
    st.builds(lambda s: ({"action": "promote", "share": s, "match": {"kinds": ["post"]}},
                         ["body", "promote", "share"]),
              st.one_of(st.floats(max_value=0, allow_nan=False, allow_infinity=False),
                        st.floats(min_value=1.001, allow_nan=False, allow_infinity=False))),
    st.builds(lambda n: ({"action": "filter", "match": {n: ["x"]}},
                         ["body", "filter", "match", n]), unknown),
    st.builds(lambda lo, hi: ({"action": "bury", "weight": 1, "match": {
        "price_min": lo, "price_max": hi}}, ["body", "bury", "match", "price_max"]),
              st.integers(51, 1000), st.integers(0, 50)),
    st.just(({"action": "filter", "match": {}}, ["body", "filter", "match"])),
    st.builds(lambda i: ({"action": "pin", "item_id": i, "position": 1},
                         ["body", "pin", "item_id"]),
              st.sampled_from(["", "nokind", "product:has space", "x" * 200])),
)


def selects(match: dict[str, Any], item_id: str) -> bool:
    return (("categories" not in match or category(item_id) in match["categories"])
            and ("item_ids" not in match or item_id in match["item_ids"])
            and ("kinds" not in match or item_id.partition(":")[0] in match["kinds"]))


class RulesMachine(RuleBasedStateMachine):
    made = Bundle("rules")
    client: ClassVar[TestClient]  # the module's app, set by the test

    def __init__(self) -> None:
        super().__init__()
        self.held: dict[str, dict[str, Any]] = {}  # id -> body with its `active`
        self.revision = self.call("get", "/v1/rules").json()["revision"]
        for listed in self.call("get", "/v1/rules").json()["rules"]:  # a clean slate
            self.changed(self.call("delete", f"/v1/rules/{listed['rule_id']}"))
        self.plain = self.call("get", URL, params={"k": K}).json()["items"]

    # --- the API, never a 5xx --------------------------------------------------------

    def call(self, method: str, url: str, **kw: Any) -> Any:
        answer = self.client.request(method, url, **kw)
        assert answer.status_code < 500, (method, url, kw, answer.text)
        if answer.status_code >= 400:
            assert answer.json().get("detail"), answer.text
        return answer

    def changed(self, answer: Any) -> None:
        """A change answered: the revision rose by one, and the replica follows it."""
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["revision"] == self.revision + 1
        self.revision += 1
        assert self.client.portal is not None
        self.client.portal.call(app_state(self.client).rules.refresh)
        assert app_state(self.client).rules.current.revision == self.revision

    # --- steps ---------------------------------------------------------------------

    @rule(target=made, body=valid_rules)
    def create(self, body: dict[str, Any]) -> str:
        answer = self.call("post", "/v1/rules", json=body)
        self.changed(answer)
        rule_id = str(answer.json()["rule_id"])
        self.held[rule_id] = {**body, "active": True}
        return rule_id

    @rule(broken=broken_rules)
    def create_broken(self, broken: tuple[dict[str, Any], list[Any]]) -> None:
        body, loc = broken
        answer = self.call("post", "/v1/rules", json=body)
        assert answer.status_code == 422, answer.text
        assert loc in [e["loc"] for e in answer.json()["detail"]], answer.json()

    @rule(rule_id=made, active=st.booleans())
    def set_active(self, rule_id: str, active: bool) -> None:
        answer = self.call("patch", f"/v1/rules/{rule_id}", json={"active": active})
        if rule_id not in self.held:
            assert answer.status_code == 404
            return
        if self.held[rule_id]["active"] == active:  # unchanged: no new revision
            assert answer.status_code == 200 and answer.json()["revision"] == self.revision
            return
        self.changed(answer)
        self.held[rule_id]["active"] = active

    @rule(rule_id=consumes(made))
    def delete(self, rule_id: str) -> None:
        answer = self.call("delete", f"/v1/rules/{rule_id}")
        self.changed(answer)
        del self.held[rule_id]
        assert self.call("delete", f"/v1/rules/{rule_id}").status_code == 404

    @precondition(lambda self: bool(self.held))
    @rule(active=st.booleans())
    def unknown_rule(self, active: bool) -> None:
        assert self.call("patch", "/v1/rules/no-such-rule",
                         json={"active": active}).status_code == 404

    # --- what must hold after every step ---------------------------------------------

    @invariant()
    def listed_as_made(self) -> None:
        listed = self.call("get", "/v1/rules").json()
        assert listed["revision"] == self.revision
        assert {r["rule_id"]: r["active"] for r in listed["rules"]} == {
            i: r["active"] for i, r in self.held.items()}

    @invariant()
    def recommendations_obey_the_active_rules(self) -> None:
        answer = self.call("get", URL, params={"k": K})
        body = answer.json()
        got = [i["item_id"] for i in body["items"]]
        active = {i: r for i, r in self.held.items() if r["active"]}
        assert set(body["rules"]) <= set(active), (body["rules"], active)
        assert len(got) == len(set(got)) <= K
        filters = [r for r in active.values() if r["action"] == "filter"]
        for r in filters:
            for item in got:
                assert selects(r["match"], item) == (r["mode"] == "include"), (r, got)
        if not active:  # every rule gone or off: the model's own list again
            assert body["rules"] == [] and body["items"] == self.plain
        pins = [r for r in active.values() if r["action"] == "pin"]
        if pins and len(pins) == len(active):  # pins alone: the first of each lands
            first = pins[0]
            clash = [p for p in pins if p["position"] == first["position"]
                     or p["item_id"] == first["item_id"]]
            if clash == [first]:
                assert got[first["position"] - 1] == first["item_id"], (first, got)


def test_rules_over_http_as_a_state_machine(client: TestClient) -> None:
    RulesMachine.client = client
    RulesMachine.TestCase.settings = settings(
        max_examples=40, stateful_step_count=8, deadline=None, database=None,
        suppress_health_check=list(HealthCheck))
    RulesMachine.TestCase().runTest()
