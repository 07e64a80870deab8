"""Similar items for an item no model has seen: content neighbours by its words where the
model reads text, popular items of its category where it does not, its domain's otherwise."""

from __future__ import annotations

import time

import pytest

from features.item_texts import item_words, text_write
from features.online import WriteBatch
from models.catalog import build
from models.interactions import Interactions
from tests.unit.serving.conftest import (
    CATEGORIES,
    FakeSource,
    categories,
    generated_interactions,
    item_ids,
    serving_client,
)

WORDS = {"audio": "headphones speaker amplifier", "books": "paperback novel poetry"}


def publish_words(client, item_id: str, text: str, category: str) -> None:
    batch = WriteBatch()
    batch.add(text_write(item_id, text=item_words(text, category), category=category))
    client.portal.call(client.app.state.store.apply, batch)


@pytest.fixture(scope="module")
def hybrid():
    data = generated_interactions()
    texts = {i: f"{WORDS[c]} {i}" for c in CATEGORIES for i in item_ids(c)}
    data = Interactions(matrix=data.matrix, user_ids=data.user_ids, item_ids=data.item_ids,
                        item_categories=data.item_categories, item_texts=texts)
    return build("hybrid").fit(data)


@pytest.fixture
def text_client(settings, hybrid):
    with serving_client(settings, FakeSource(aliases={"champion": "1"},
                                             versions={"1": hybrid})) as c:
        yield c


def test_a_new_post_gets_neighbours_by_its_words(text_client):
    publish_words(text_client, "post:new1", "Best paperback poetry of the year", "readers")
    body = text_client.get("/v1/items/post:new1/similar", params={"k": 5}).json()
    assert body["strategy"] == "content" and body["fallback"] == []
    assert len(body["items"]) == 5 and set(categories(body)) == {"books"}


def test_a_new_catalogue_product_gets_neighbours_by_its_words(text_client):
    r = text_client.post("/v1/catalog/products", json={
        "sku": f"amp{time.time_ns()}", "title": "Valve amplifier", "category": "hifi",
        "description": "Drives any speaker", "price": {"amount": "99.00", "currency": "GBP"}})
    assert r.status_code == 201, r.text
    body = text_client.get(f"/v1/items/product:{r.json()['sku']}/similar",
                           params={"k": 5}).json()
    assert body["strategy"] == "content" and set(categories(body)) == {"audio"}


def test_words_the_model_never_read_fall_back_to_the_domain(text_client):
    publish_words(text_client, "product:new2", "quantum chromodynamics", "physics")
    body = text_client.get("/v1/items/product:new2/similar", params={"k": 5}).json()
    assert body["strategy"] == "cold_start" and len(body["items"]) == 5
    assert all(i["item_id"].startswith("product:") for i in body["items"])


def test_a_model_without_content_serves_the_items_category(client):
    publish_words(client, "product:new3", "a thriller", "books")
    body = client.get("/v1/items/product:new3/similar", params={"k": 5}).json()
    assert body["strategy"] == "cold_start" and len(body["items"]) == 5
    assert set(categories(body)) == {"books"}
    assert "product:new3" not in [i["item_id"] for i in body["items"]]
