"""`diversity` on personalised lists and similar items, the rotation penalty through the
worker's record of what was served, and the A/B test's endpoint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from agents.recommendation.context import RecommendationContext
from agora.settings import ServingSettings
from contracts import parse_event
from features.online import WriteBatch
from tests.unit.serving.conftest import (
    CATEGORIES,
    FakeSource,
    app_state,
    categories,
    item_ids,
    serving_client,
)
from tests.unit.serving.test_recommendations_api import push_recent as view


def test_diversity_zero_is_todays_list_and_more_mixes_categories(client) -> None:
    """30 of the 40 audio products seen: the model's top 10 are the 10 others, all audio;
    its candidates beyond them are books, which diversity brings in."""
    view(client, "shopper", item_ids(CATEGORIES[0])[:30])
    url = "/v1/users/shopper/recommendations?k=10&domain=commerce"
    plain = client.get(url).json()
    assert client.get(url + "&diversity=0").json()["items"] == plain["items"]
    mixed = client.get(url + "&diversity=0.9").json()
    assert len(mixed["items"]) == 10
    assert set(categories(plain)) == {CATEGORIES[0]}
    assert set(categories(mixed)) == set(CATEGORIES)
    assert mixed["items"][0] == plain["items"][0]
    assert client.get(url + "&diversity=1.5").status_code == 422


def test_similar_items_take_diversity(client) -> None:
    url = f"/v1/items/{item_ids(CATEGORIES[0])[0]}/similar?k=8"
    plain = client.get(url).json()
    assert client.get(url + "&diversity=0").json()["items"] == plain["items"]
    assert len(client.get(url + "&diversity=0.8").json()["items"]) == 8
    bad = client.get(url + "&diversity=-1")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "diversity"]


def served(client, user: str, items: list[str]) -> None:
    """What the worker writes for a `recommendation_served` event of this user."""
    event = parse_event({"event_id": str(uuid.uuid4()), "event_type": "recommendation_served",
                         "occurred_at": datetime.now(UTC).isoformat(), "user_id": user,
                         "request_id": f"r-{uuid.uuid4()}", "surface": "home",
                         "items": items, "model": "agora-recommender@1",
                         "variant": "champion"})
    batch = WriteBatch()
    RecommendationContext().writes([event], batch)
    client.portal.call(app_state(client).store.apply, batch)


def test_rotation_moves_what_was_served_down(settings: ServingSettings,
                                             source: FakeSource) -> None:
    rotating = settings.model_copy(update={"rotation_penalty": 1.5})
    with serving_client(rotating, source) as client:
        view(client, "regular", item_ids(CATEGORIES[0])[:6])
        url = "/v1/users/regular/recommendations?k=5&domain=commerce"
        first = [i["item_id"] for i in client.get(url).json()["items"]]
        served(client, "regular", first)
        second = [i["item_id"] for i in client.get(url).json()["items"]]
        assert not set(first) & set(second)
        assert [i["item_id"] for i in client.get(
            "/v1/users/someone-else/recommendations?k=5").json()["items"]]


def test_rotation_is_off_by_default(client) -> None:
    view(client, "regular", item_ids(CATEGORIES[0])[:6])
    url = "/v1/users/regular/recommendations?k=5&domain=commerce"
    first = [i["item_id"] for i in client.get(url).json()["items"]]
    served(client, "regular", first)
    assert [i["item_id"] for i in client.get(url).json()["items"]] == first


def test_the_experiments_endpoint_says_there_is_none_without_a_challenger(client) -> None:
    body = client.get("/v1/analytics/experiments").json()
    assert body["decision"]["status"] == "no_experiment"
    assert body["champion"]["model"] == "agora-recommender@1"
    assert body["auto_promote"] is False
    assert body["rule"]["test"].startswith("mSPRT")
    overview = client.get("/v1/analytics/overview").json()
    assert overview["experiment"]["decision"]["status"] == "no_experiment"
