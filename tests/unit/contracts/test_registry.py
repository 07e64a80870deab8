"""The declarations and the tables the registry derives from them."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import pytest

from contracts import EVENTS, EventDomain, EventSpec, Registry, item_of, parse_event
from contracts.commerce import PRODUCT_VIEWED, ProductViewed
from contracts.declaration import FACTS, STOREFRONT, Interaction, ItemRef
from contracts.envelope import Envelope
from contracts.events import Event
from contracts.topics import SOURCE_TOPICS, TOPIC_BY_TYPE

AT = "2026-03-01T12:00:00+00:00"


def ev(event_type: str, **fields: Any) -> Any:
    return parse_event({"event_id": str(uuid.uuid4()), "event_type": event_type,
                        "occurred_at": AT, "user_id": "u1", **fields})


def _schemas(cls: type[Envelope]) -> list[type[Envelope]]:
    subs = [c for c in cls.__subclasses__() if c.__module__.startswith("contracts.")]
    return subs + [s for c in subs for s in _schemas(c)]


def test_the_typed_union_is_the_registry() -> None:
    union, _ = get_args(Event)
    assert set(get_args(union)) == set(EVENTS.classes.values())


def test_every_schema_of_the_contracts_is_declared_once() -> None:
    assert set(_schemas(Envelope)) == set(EVENTS.classes.values())
    with pytest.raises(ValueError, match="declared twice"):
        EVENTS.extended(PRODUCT_VIEWED)


def test_every_type_has_a_source_topic_a_publisher_and_a_key_field_it_has() -> None:
    assert set(TOPIC_BY_TYPE) == EVENTS.types
    assert set(TOPIC_BY_TYPE.values()) == set(SOURCE_TOPICS)
    assert set(EVENTS.publisher.values()) == {STOREFRONT, FACTS}
    for event_type, field in EVENTS.key_field.items():
        assert field in EVENTS.classes[event_type].model_fields


def test_a_declaration_naming_what_its_schema_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="no field 'sku'"):
        EventSpec(schema=ProductViewed, domain=EventDomain.commerce, key="sku",
                  publisher=STOREFRONT)
    with pytest.raises(ValueError, match="unknown item kind"):
        ItemRef(kind="wish", field="product_id")
    with pytest.raises(ValueError, match="needs an item"):
        EventSpec(schema=ProductViewed, domain=EventDomain.commerce, key=None,
                  publisher=STOREFRONT, interaction=Interaction(weight=1.0))
    with pytest.raises(ValueError, match="go together"):
        Interaction(weight=1.0, sign_field="value")


def test_the_items_an_event_touches_and_their_signed_weights() -> None:
    order = ev("order_placed", order_id="o1", total=3.0, currency="EUR", lines=[
        {"product_id": "A", "quantity": 1, "unit_price": 1.0},
        {"product_id": "B", "quantity": 2, "unit_price": 1.0}])
    assert EVENTS.touch["order_placed"](order) == (("product:A", "commerce", 5.0),
                                                   ("product:B", "commerce", 5.0))
    assert item_of(order) is None  # several items: the lake's item column stays empty
    up = ev("vote_cast", target_id="c1", target_type="comment", value=1)
    down = ev("vote_cast", target_id="p1", target_type="post", value=-1)
    assert EVENTS.touch["vote_cast"](up) == (("comment:c1", "community", 1.5),)
    assert EVENTS.touch["vote_cast"](down) == (("post:p1", "community", -2.0),)
    assert item_of(down) == "post:p1"
    skip, done = (ev("episode_played", episode_id="e1", show_id="s", position_s=p,
                     duration_s=100) for p in (10, 95))
    assert EVENTS.touch["episode_played"](skip)[0][2] == 1.0
    assert EVENTS.touch["episode_played"](done)[0][2] == 4.0
    # The same interpretation reads an event's fields as a plain dict (a lake payload).
    assert EVENTS.touch["vote_cast"]({"target_id": "p1", "target_type": "post",
                                      "value": -1}) == (("post:p1", "community", -2.0),)
    assert EVENTS.weights["cart_item_removed"] < 0 < EVENTS.weights["cart_item_added"]
    assert EVENTS.excluding == {"order_placed", "episode_played"}


def test_a_registry_is_built_from_any_declarations() -> None:
    small = Registry([PRODUCT_VIEWED, EVENTS.specs["product_searched"]])
    assert small.types == {"product_viewed", "product_searched"}
    assert small.domains == (EventDomain.commerce,)
    assert small.counters(EventDomain.commerce) == {"product_viewed": "views",
                                                    "product_searched": "searches"}
