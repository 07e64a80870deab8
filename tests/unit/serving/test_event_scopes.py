"""Least privilege for events: every event type has a publishing scope, the core's facts need
`events:facts`, and `POST /v1/events` holds each key to its scope, both ways."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.events import EVENT_CLASSES, EVENT_TYPES
from contracts.scopes import EVENT_SCOPES, FACTS, PUBLISHING_SCOPES, STOREFRONT, refused
from serving.edge.auth import KeyRing, static_keys
from tests.unit.contracts.test_events import _from_schema
from tests.unit.serving.conftest import serving_client

STOREFRONT_ONLY = "scope-storefront-0123456789"
FACTS_ONLY = "scope-facts-0123456789abcd"
BOTH = "scope-both-0123456789abcde"
ADMIN = "scope-admin-0123456789abcd"
KEYS = {STOREFRONT_ONLY: {STOREFRONT}, FACTS_ONLY: {FACTS}, BOTH: {STOREFRONT, FACTS},
        ADMIN: {"*"}}


def test_every_event_type_has_a_publishing_scope() -> None:
    assert set(EVENT_SCOPES) == EVENT_TYPES
    assert set(EVENT_SCOPES.values()) <= set(PUBLISHING_SCOPES)


def test_what_the_core_publishes_needs_the_facts_scope() -> None:
    from core.domain.events import DomainEvent

    def subclasses(cls: type) -> set[type]:
        found: set[type] = set()
        subs: list[type] = cls.__subclasses__()
        for sub in subs:
            found |= {sub, *subclasses(sub)}
        return found

    from_core = {vars(c)["event_type"] for c in subclasses(DomainEvent) if "event_type" in vars(c)}
    assert {"order_placed", "payment_succeeded", "inventory_adjusted", "listing_created"} \
        <= from_core
    assert {t: EVENT_SCOPES[t] for t in from_core} == dict.fromkeys(from_core, FACTS)
    assert EVENT_SCOPES["recommendation_served"] == FACTS  # the API's own record


def test_behaviour_is_the_storefronts() -> None:
    for event_type in ("product_viewed", "product_searched", "cart_item_added",
                       "checkout_started", "episode_played", "recommendation_clicked"):
        assert EVENT_SCOPES[event_type] == STOREFRONT


def test_refused_names_each_forbidden_type_once() -> None:
    batch = ["product_viewed", "order_placed", "nope", "order_placed", "payment_succeeded"]
    assert refused(batch, frozenset({STOREFRONT})) == ["order_placed", "payment_succeeded"]
    assert refused(batch, frozenset({FACTS})) == ["product_viewed"]
    assert refused(batch, frozenset({"*"})) == []


@pytest.fixture(scope="module")
def scoped_client(tmp_path_factory):
    from agora.settings import ServingSettings
    from launch.broker import free_port

    # no broker: an admitted, valid batch answers 503 (it was about to be published)
    settings = ServingSettings(
        data_dir=tmp_path_factory.mktemp("scopes"), kafka_bootstrap=f"127.0.0.1:{free_port()}",
        model_poll_s=3600, redis_url=None, rate_limit_per_s=1e9, rate_limit_burst=10**9)
    with serving_client(settings, None) as client:
        client.app.state.api_keys = KeyRing(static=static_keys(
            (f"k{n}", raw, scopes) for n, (raw, scopes) in enumerate(KEYS.items())))
        yield client


def _valid(event_type: str) -> st.SearchStrategy[dict]:
    cls = EVENT_CLASSES[event_type]
    schema = cls.model_json_schema()
    return _from_schema(schema, schema.get("$defs", {})).map(
        lambda raw: cls.model_validate(raw).model_dump(mode="json"))


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_each_key_publishes_its_event_types_only(scoped_client, event_type: str) -> None:
    @settings(max_examples=2, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(_valid(event_type))
    def check(event: dict) -> None:
        for key, scopes in KEYS.items():
            r = scoped_client.post("/v1/events", json={"events": [event]},
                                   headers={"X-API-Key": key})
            if "*" in scopes or EVENT_SCOPES[event_type] in scopes:
                assert r.status_code == 503, (key, r.text)  # admitted and valid: no broker
            else:
                assert r.status_code == 403, (key, r.text)
                assert r.json()["event_types"] == [event_type]
                assert event_type in r.json()["detail"]

    check()


def _viewed() -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": "product_viewed",
            "occurred_at": datetime.now(UTC).isoformat(), "user_id": "u1",
            "product_id": "p1", "category": "home", "price": 2.5}


def events_counted(client, event_type: str, outcome: str) -> float:
    return client.app.state.metrics.registry.get_sample_value(
        "agora_api_events_total", {"event_type": event_type, "outcome": outcome}) or 0.0


def test_a_batch_with_one_forged_fact_is_refused_whole(scoped_client) -> None:
    before = (events_counted(scoped_client, "order_placed", "forbidden"),
              events_counted(scoped_client, "product_viewed", "forbidden"))
    forged = {"event_id": str(uuid.uuid4()), "event_type": "order_placed", "garbage": True}
    r = scoped_client.post("/v1/events", json={"events": [_viewed(), forged, _viewed()]},
                           headers={"X-API-Key": STOREFRONT_ONLY})
    assert r.status_code == 403  # before validation: the invalid fact is not even parsed
    assert r.json()["event_types"] == ["order_placed"]
    assert "events:facts" in r.json()["detail"]
    after = (events_counted(scoped_client, "order_placed", "forbidden"),
             events_counted(scoped_client, "product_viewed", "forbidden"))
    assert (after[0] - before[0], after[1] - before[1]) == (1, 2)


def test_unknown_event_types_are_a_422_and_one_label(scoped_client) -> None:
    junk = [{"event_type": f"made-up-{n}"} for n in range(20)]
    r = scoped_client.post("/v1/events", json={"events": junk},
                           headers={"X-API-Key": STOREFRONT_ONLY})
    assert r.status_code == 422
    assert "made-up" not in scoped_client.get("/metrics").text
    assert events_counted(scoped_client, "other", "invalid") == 20


def test_a_key_without_a_publishing_scope_is_refused_at_the_door(client) -> None:
    from tests.unit.serving.conftest import OPS_KEY

    r = client.post("/v1/events", json={"events": [_viewed()]}, headers={"X-API-Key": OPS_KEY})
    assert r.status_code == 403 and "lacks the scope" in r.json()["detail"]
