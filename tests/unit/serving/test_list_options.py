"""`kind`, `explain` and `cursor` on the list endpoints, over a real item-kNN model whose
catalogue mixes products, episodes, shows, posts, comments and communities."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.settings import ServingSettings
from models.catalog import build
from models.interactions import Interactions
from serving.recommend import paging
from tests.unit.serving.conftest import (
    CATEGORIES,
    FakeSource,
    app_state,
    item_ids,
    serving_client,
)
from tests.unit.serving.test_recommendations_api import push_recent

KINDS = ("product", "post", "episode", "show", "community")
URL = "/v1/users/{}/recommendations"


def mixed_interactions(seed: int = 11, users: int = 200) -> Interactions:
    """Each user mostly one category of products, plus items of every other kind."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        home = CATEGORIES[u % 2]
        rows += [(f"u{u}", str(i)) for i in rng.choice(item_ids(home), size=6, replace=False)]
        side = u % 5
        rows += [(f"u{u}", f"post:p{side}{n}") for n in range(3)]
        rows += [(f"u{u}", f"comment:c{side}"), (f"u{u}", f"community:g{side}"),
                 (f"u{u}", f"community:g{(side + 1) % 5}"), (f"u{u}", f"episode:e{side}"),
                 (f"u{u}", f"show:s{side}")]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id"])
    categories = {i: c for c in CATEGORIES for i in item_ids(c)}
    return Interactions.from_frame(frame, weight_col=None, item_categories=categories)


@pytest.fixture(scope="module")
def mixed_source() -> FakeSource:
    return FakeSource(aliases={"champion": "1"},
                      versions={"1": build("item_knn").fit(mixed_interactions())})


@pytest.fixture
def mixed(settings: ServingSettings, mixed_source: FakeSource) -> Iterator[TestClient]:
    with serving_client(settings, mixed_source) as c:
        yield c


def ids(body: dict) -> list[str]:
    return [i["item_id"] for i in body["items"]]


# --- kind --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_kind_keeps_one_kind_of_item(mixed: TestClient, kind: str) -> None:
    body = mixed.get(URL.format("u3"), params={"k": 5, "kind": kind}).json()
    assert body["items"] and all(i.startswith(f"{kind}:") for i in ids(body))
    similar = mixed.get("/v1/items/product:audio1/similar", params={"k": 5, "kind": kind})
    assert similar.status_code == 200
    assert all(i.startswith(f"{kind}:") for i in ids(similar.json()))


def test_communities_are_recommended_as_communities(mixed: TestClient) -> None:
    community = mixed.get(URL.format("u3"), params={"k": 3, "domain": "community"}).json()
    assert {i.partition(":")[0] for i in ids(community)} <= {"post", "comment", "community"}
    only = mixed.get(URL.format("u3"), params={"k": 3, "kind": "community",
                                                "domain": "community"}).json()
    assert only["items"] and all(i.startswith("community:") for i in ids(only))
    # u3 trained on community g3 and g4: g4 is excluded as seen, so its neighbours come
    assert not {"community:g3", "community:g4"} & set(ids(only))


def test_bad_kind_is_a_422_naming_kind(mixed: TestClient) -> None:
    for params in ({"kind": "comment"}, {"kind": "weather"},
                   {"kind": "post", "domain": "commerce"}):
        r = mixed.get(URL.format("u3"), params=params)
        assert r.status_code == 422, params
        assert [e["loc"] for e in r.json()["detail"]] == [["query", "kind"]]
        s = mixed.get("/v1/items/product:audio1/similar", params=params)
        assert s.status_code == 422, params
        assert [e["loc"] for e in s.json()["detail"]] == [["query", "kind"]]


def test_kind_for_a_user_the_model_never_saw(mixed: TestClient) -> None:
    body = mixed.get(URL.format("stranger"), params={"k": 3, "kind": "show"}).json()
    assert body["strategy"] == "cold_start"
    assert body["items"] and all(i.startswith("show:") for i in ids(body))


# --- explain -----------------------------------------------------------------------------

def test_explain_names_the_history_items_behind_each_score(mixed: TestClient) -> None:
    plain = mixed.get(URL.format("u0"), params={"k": 5}).json()
    assert all("because" not in i for i in plain["items"])
    body = mixed.get(URL.format("u0"), params={"k": 5, "explain": "true"}).json()
    assert ids(body) == ids(plain)  # explaining changes nothing in the list
    model = mixed_source_model(mixed)
    row = model.user_row("u0")
    trained = {str(model.item_ids[c]) for c in model.data.matrix[row].indices}
    for item in body["items"]:
        why = item["because"]
        assert why["reason"] == "history" and why["items"]
        assert set(why["items"]) <= trained and len(why["items"]) <= 3
        # item-kNN: the first named item contributes the largest similarity to the score
        sims = {h: float(model._sim[model._item_index[h], model._item_index[item["item_id"]]])
                for h in trained}
        assert sims[why["items"][0]] == max(sims.values())


def test_explain_names_live_history_and_fallback_reasons(mixed: TestClient) -> None:
    push_recent(mixed, "newcomer", item_ids("books")[:3])
    body = mixed.get(URL.format("newcomer"), params={"k": 4, "explain": "true"}).json()
    assert body["strategy"] == "personalised"
    for item in body["items"]:
        assert item["because"]["reason"] == "history"
        assert set(item["because"]["items"]) <= set(item_ids("books")[:3])
    cold = mixed.get(URL.format("stranger"), params={"k": 3, "explain": "true"}).json()
    assert {i["because"]["reason"] for i in cold["items"]} == {"popular"}
    cat = mixed.get(URL.format("stranger"), params={"k": 3, "explain": "true",
                                                     "category": "books"}).json()
    assert {i["because"]["reason"] for i in cat["items"]} == {"popular_in_category"}


def mixed_source_model(client: TestClient):
    return app_state(client).model_source.versions["1"]


# --- cursor ------------------------------------------------------------------------------

def pages(client: TestClient, user: str, n: int, **params: object) -> list[dict]:
    out, cursor = [], None
    for _ in range(n):
        query = {"k": 5, **params, **({"cursor": cursor} if cursor else {})}
        r = client.get(URL.format(user), params=query)
        assert r.status_code == 200, r.text
        out.append(r.json())
        cursor = r.json().get("next_cursor")
        if cursor is None:
            break
    return out


def test_pages_never_repeat_and_equal_one_long_list(mixed: TestClient) -> None:
    got = pages(mixed, "u1", 4, kind="product")
    seen = [i for p in got for i in ids(p)]
    assert len(seen) == 20 and len(set(seen)) == 20
    whole = mixed.get(URL.format("u1"), params={"k": 20, "kind": "product"}).json()
    assert seen == ids(whole)  # stable: same history, same model, same ranking
    assert not any(p.get("ranking_changed") for p in got)
    again = pages(mixed, "u1", 4, kind="product")
    assert [ids(p) for p in again] == [ids(p) for p in got]


def test_the_last_page_has_no_cursor(mixed: TestClient) -> None:
    got = pages(mixed, "u1", 10, k=4, kind="show")  # 5 shows, one of them seen
    assert [len(ids(p)) for p in got] == [4]
    assert got[-1].get("next_cursor") is None


def test_a_changed_history_reranks_without_repeating(mixed: TestClient) -> None:
    first = mixed.get(URL.format("u0"), params={"k": 5, "kind": "product"}).json()
    assert first["next_cursor"]
    push_recent(mixed, "u0", item_ids("books")[:6])  # u0 trained on audio: books rise
    second = mixed.get(URL.format("u0"), params={"k": 5, "kind": "product",
                                                  "cursor": first["next_cursor"]}).json()
    assert second["ranking_changed"] is True
    assert not set(ids(first)) & set(ids(second))
    fresh = mixed.get(URL.format("u0"), params={"k": 10, "kind": "product"}).json()
    # the page is the new ranking without the first page's items
    assert ids(second) == [i for i in ids(fresh) if i not in ids(first)][:5]


def test_a_cursor_belongs_to_one_user_and_one_set_of_filters(mixed: TestClient) -> None:
    cursor = mixed.get(URL.format("u1"), params={"k": 5}).json()["next_cursor"]
    for user, params in (("u2", {}), ("u1", {"domain": "commerce"}),
                         ("u1", {"exclude": "product:audio1"})):
        r = mixed.get(URL.format(user), params={"k": 5, "cursor": cursor, **params})
        assert r.status_code == 422
        assert [e["loc"] for e in r.json()["detail"]] == [["query", "cursor"]]
    # another page size is the same list
    assert mixed.get(URL.format("u1"), params={"k": 7, "cursor": cursor}).status_code == 200


def test_a_forged_cursor_is_refused(mixed: TestClient) -> None:
    cursor = mixed.get(URL.format("u1"), params={"k": 5}).json()["next_cursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[paging.HEADER] ^= 0xFF  # drop one served item from the list
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    r = mixed.get(URL.format("u1"), params={"k": 5, "cursor": forged})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(min_size=1, max_size=300),
                 st.binary(min_size=1, max_size=400).map(
                     lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))))
def test_hostile_cursors_are_422_naming_cursor(mixed: TestClient, cursor: str) -> None:
    r = mixed.get(URL.format("u1"), params={"k": 5, "cursor": cursor})
    assert r.status_code == 422, (cursor, r.text)
    assert [e["loc"] for e in r.json()["detail"]] == [["query", "cursor"]]


def test_an_oversized_cursor_is_refused() -> None:
    with pytest.raises(paging.InvalidCursor):
        paging.decode("A" * (paging.MAX_CURSOR_CHARS + 1), request=b"\0" * paging.BINDING)


def test_trending_of_one_kind(mixed: TestClient) -> None:
    import time

    from features.online import IncrScores, WriteBatch
    from features.trending import decay_factor, epoch_of, trending_key

    now = time.time()
    epoch = epoch_of(now)
    scores = {f"post:hot{n}": 100.0 - n for n in range(30)}
    scores |= {"community:g1": 5.0, "community:g2": 4.0}
    batch = WriteBatch()
    batch.add(IncrScores(key=trending_key("community", epoch),
                         deltas={i: s * decay_factor(now, epoch, 900.0)
                                 for i, s in scores.items()}))
    assert mixed.portal is not None
    mixed.portal.call(app_state(mixed).store.apply, batch)
    body = mixed.get("/v1/trending", params={"domain": "community", "k": 2,
                                             "kind": "community"}).json()
    assert ids(body) == ["community:g1", "community:g2"]
    bad = mixed.get("/v1/trending", params={"domain": "commerce", "kind": "show"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "kind"]
