"""A new event type is one declaration: `wishlist_added`, declared here only, is validated,
routed, and reaches the live history, trending and the training set, with nothing else
edited (CONTRIBUTING.md)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import orjson
import pytest

from agents.activity.logic import activity_writes
from agents.trending.logic import interactions
from contracts import EVENTS, EventDomain, EventError, EventSpec, Topic, dump_event
from contracts.declaration import STOREFRONT, Interaction, ItemRef
from contracts.envelope import Envelope, Id
from contracts.topics import key_for, topic_for
from features.lake import lake_row, write_rows
from features.online import PushRecent, WriteBatch
from features.users import recent_key
from models.training_set import TrainingSetSpec, build_training_set


class WishlistAdded(Envelope):
    event_type: Literal["wishlist_added"] = "wishlist_added"
    product_id: Id


WISHLIST_ADDED = EventSpec(
    schema=WishlistAdded, domain=EventDomain.commerce, key="product_id", publisher=STOREFRONT,
    item=ItemRef(kind="product", field="product_id"), interaction=Interaction(weight=2.0))
REGISTRY = EVENTS.extended(WISHLIST_ADDED)
AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def wished(product: str, user: str | None = "u1") -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "event_type": "wishlist_added",
            "occurred_at": AT.isoformat(), "user_id": user, "product_id": product}


def test_it_is_validated_and_routed() -> None:
    event = REGISTRY.parse(orjson.dumps(wished("P1")))
    assert isinstance(event, WishlistAdded)
    with pytest.raises(EventError) as refused:
        REGISTRY.parse(wished(""))
    assert refused.value.field == "product_id"
    with pytest.raises(EventError):  # the catalog itself does not know it
        EVENTS.parse(wished("P1"))
    assert topic_for(event, registry=REGISTRY) is Topic.commerce
    assert key_for(event, registry=REGISTRY) == b"u1"
    assert key_for(wished("P1", user=None), registry=REGISTRY) == b"P1"
    assert REGISTRY.publisher["wishlist_added"] == STOREFRONT
    assert REGISTRY.item_of(event) == "product:P1"


def test_it_reaches_the_live_history_and_trending() -> None:
    event = REGISTRY.parse(wished("P1"))
    batch = WriteBatch()
    activity_writes([event], domain="commerce", batch=batch, registry=REGISTRY)
    pushed = [w for w in batch.writes if isinstance(w, PushRecent)]
    assert [w.key for w in pushed] == [recent_key("commerce", "u1")]
    entry = orjson.loads(pushed[0].values[0])
    assert (entry["item_id"], entry["event_type"], entry["weight"]) == (
        "product:P1", "wishlist_added", 2.0)
    assert [(i.item_id, i.weight) for i in interactions([event], registry=REGISTRY)] == [
        ("product:P1", 2.0)]


def test_it_reaches_the_training_set(tmp_path: Path) -> None:
    events = [REGISTRY.parse(wished(p, user=u)) for u, p in (("u1", "P1"), ("u2", "P1"),
                                                             ("u2", "P2"))]
    write_rows(tmp_path, [lake_row(orjson.loads(dump_event(e)), REGISTRY.item_of(e))
                          for e in events])
    built = build_training_set(lake_path=tmp_path, spec=TrainingSetSpec(), registry=REGISTRY)
    rows = sorted(zip(built.events["user_id"], built.events["item_id"],
                      built.events["weight"], strict=True))
    assert rows == [("u1", "product:P1", 2.0), ("u2", "product:P1", 2.0),
                    ("u2", "product:P2", 2.0)]
    assert built.interactions.nnz == 3
