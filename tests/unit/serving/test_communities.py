"""Communities recommended as communities (`kind=community`): a user's posts, comments and
votes in a community lead to it, joined ones never come back, and a user with no such
history gets trending communities; `kind` on rank. Over a real item-kNN model whose
catalogue mixes every kind (test_list_options.py), the post -> community map written by the
worker's own community logic and the core's catalogue."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.community.logic import community_writes
from agora.settings import ServingSettings
from contracts.community import PostCreated
from features.online import IncrScores, PushRecent, WriteBatch
from features.trending import decay_factor, epoch_of, trending_key
from features.users import RecentInteraction, recent_key
from serving.recommend.communities import affinity
from serving.recommend.rules import ItemAttributes
from tests.unit.serving.conftest import FakeSource, app_state, serving_client
from tests.unit.serving.test_list_options import URL, ids
from tests.unit.serving.test_list_options import mixed_source as mixed_source  # the model


@pytest.fixture
def mixed(settings: ServingSettings, mixed_source: FakeSource) -> Iterator[TestClient]:
    with serving_client(settings, mixed_source) as c:
        # a loaded test machine may take longer than a request waits for the attributes
        app_state(c).rules.attribute_timeout_s = 10.0
        yield c


def apply(client: TestClient, batch: WriteBatch) -> None:
    assert client.portal is not None
    client.portal.call(app_state(client).store.apply, batch)


def published(client: TestClient, posts: dict[str, str]) -> None:
    """Posts published as events (not in the core): the worker's community writes."""
    events = [PostCreated(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), user_id="other",
                          post_id=post, community_id=community, title=post)
              for post, community in posts.items()]
    batch = WriteBatch()
    community_writes(events, posts={}, batch=batch, half_life_s=3600.0)
    apply(client, batch)


def touched(client: TestClient, user: str, items: list[tuple[str, str, float]]) -> None:
    """The user's live community history: (item, event type, weight), oldest first."""
    now = time.time()
    batch = WriteBatch()
    batch.add(PushRecent(key=recent_key("community", user), max_len=50, values=[
        RecentInteraction(item_id=i, event_type=t, ts=now + n, weight=w).encode()
        for n, (i, t, w) in enumerate(items)]))
    apply(client, batch)


def test_a_users_posts_comments_and_votes_lead_to_their_communities(mixed: TestClient) -> None:
    published(mixed, {"np1": "g2", "np2": "g2", "np3": "g2", "np4": "g1"})
    # a post and a comment of community g4 held by the core (not seen by the stream)
    assert mixed.post("/v1/communities", json={"community_id": "g4", "name": "Four",
                                               "owner_id": "owner"}).status_code == 201
    post = mixed.post("/v1/communities/g4/posts", json={"author_id": "owner",
                                                        "title": "hello"}).json()["post_id"]
    comment = mixed.post(f"/v1/communities/posts/{post}/comments", json={
        "author_id": "owner", "body": "hi"}).json()["comment_id"]
    touched(mixed, "poster", [
        ("post:np1", "post_created", 3.0), ("post:np2", "comment_created", 2.0),
        ("post:np3", "vote_cast", 1.5), (f"post:{post}", "comment_created", 2.0),
        (f"comment:{comment}", "vote_cast", 1.5),
        ("post:np4", "post_created", 3.0), ("community:g1", "community_joined", 2.0)])
    body = mixed.get(URL.format("poster"), params={"k": 4, "kind": "community",
                                                    "explain": "true"}).json()
    got = ids(body)
    assert got[:2] == ["community:g2", "community:g4"]  # 3 items in g2, 2 in g4
    assert "community:g1" not in got  # joined
    assert all(i.startswith("community:") for i in got) and len(got) == 4
    because = {i["item_id"]: i["because"] for i in body["items"]}
    assert because["community:g2"] == {"reason": "history",
                                       "items": ["post:np3", "post:np2", "post:np1"]}
    assert set(because["community:g4"]["items"]) == {f"post:{post}", f"comment:{comment}"}
    # joined through the core (no worker in this test: the live history does not say so)
    assert mixed.post("/v1/communities/g4/members",
                      json={"user_id": "poster"}).status_code == 201
    got = ids(mixed.get(URL.format("poster"), params={"k": 4, "kind": "community"}).json())
    assert got[0] == "community:g2" and not {"community:g4", "community:g1"} & set(got)


def test_no_community_history_gets_trending_communities(mixed: TestClient) -> None:
    now = time.time()
    epoch = epoch_of(now)
    scores = {"post:hot": 50.0, "community:g3": 9.0, "community:g0": 8.0}
    batch = WriteBatch()
    batch.add(IncrScores(key=trending_key("community", epoch), deltas={
        i: s * decay_factor(now, epoch, 900.0) for i, s in scores.items()}))
    apply(mixed, batch)
    body = mixed.get(URL.format("lurker"), params={"k": 3, "kind": "community",
                                                    "explain": "true"}).json()
    assert body["strategy"] == "cold_start"
    assert ids(body)[:2] == ["community:g3", "community:g0"]
    assert body["items"][0]["because"]["reason"] == "trending"
    # a trained user who joined g3 in the live history does not get it back
    touched(mixed, "u0", [("community:g3", "community_joined", 2.0)])
    assert "community:g3" not in ids(mixed.get(URL.format("u0"), params={
        "k": 5, "kind": "community"}).json())


def test_rank_keeps_the_kind_asked_for(mixed: TestClient) -> None:
    candidates = ["product:audio1", "episode:e1", "post:p10", "episode:e2", "show:s1"]
    ranked = mixed.post("/v1/rank", json={"user_id": "u1", "candidates": candidates,
                                          "kind": "episode"})
    assert ranked.status_code == 200, ranked.text
    assert sorted(ids(ranked.json())) == ["episode:e1", "episode:e2"]
    none = mixed.post("/v1/rank", json={"user_id": "u1", "candidates": candidates,
                                        "kind": "community"})
    assert none.status_code == 200 and none.json()["items"] == []
    for kind in ("comment", "planet", 3):
        bad = mixed.post("/v1/rank", json={"user_id": "u1", "candidates": candidates,
                                           "kind": kind})
        assert bad.status_code == 422
        assert [e["loc"] for e in bad.json()["detail"]] == [["body", "kind"]]


items = st.sampled_from([f"post:p{n}" for n in range(8)] + ["comment:c1", "community:g9",
                                                           "product:x", "post:unknown"])


@settings(max_examples=200, deadline=None)
@given(history=st.lists(items, max_size=30))
def test_affinity_counts_each_item_once_and_orders_by_count(history: list[str]) -> None:
    where = {f"post:p{n}": ItemAttributes(category=f"g{n % 3}") for n in range(8)}
    where["comment:c1"] = ItemAttributes(category="g0")
    found = affinity(history, where)
    counted = {c: len(v) for c, v in found.items()}
    assert list(counted.values()) == sorted(counted.values(), reverse=True)
    placed = [i for v in found.values() for i in v]
    assert len(placed) == len(set(placed))
    assert set(placed) == {i for i in history if i in where}
    assert all(where[i].category == c.removeprefix("community:")
               for c, v in found.items() for i in v)
