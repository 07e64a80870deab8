"""The hybrid's live inputs: session items and trending items for cold users."""

from __future__ import annotations

from collections.abc import Sequence

from models.hybrid import HybridRecommender
from tests.unit.models.synthetic import clustered_interactions


class FakeSession:
    def __init__(self, items: dict[str, list[str]]) -> None:
        self.items = items

    def recent_items(self, user_id: str, n: int) -> Sequence[str]:
        return self.items.get(user_id, [])[:n]


class FakeTrending:
    def __init__(self, items: list[str]) -> None:
        self.items = items

    def trending(self, n: int) -> Sequence[str]:
        return self.items[:n]


def _cluster(item_id: str) -> int:
    return int(item_id.removeprefix("product:p")) % 4


def test_cold_user_gets_trending_items_first() -> None:
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0}, trending_weight=2.0)
    model.fit(clustered_interactions())
    model.attach(trending=FakeTrending(["product:p77", "product:p78"]))
    top = [r.item_id for r in model.recommend("brand-new", k=3)]
    assert top[:2] == ["product:p77", "product:p78"]


def test_session_steers_an_anonymous_user_to_its_cluster() -> None:
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0})
    model.fit(clustered_interactions())
    session = ["product:p2", "product:p6", "product:p10"]  # cluster 2
    model.attach(session=FakeSession({"anon": session}))
    recs = model.recommend("anon", k=5)
    assert sum(_cluster(r.item_id) == 2 for r in recs) >= 4
    assert not {r.item_id for r in recs} & set(session)


def test_new_items_with_text_only_get_content_neighbours() -> None:
    data = clustered_interactions()
    texts = {**data.item_texts, "product:new": "espresso coffee beans fresh roast"}
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0},
                              weights={"cf": 1.0, "content": 0.5})
    model.fit(data.replace(item_texts=texts))
    similar = [s.item_id for s in model.similar_items("product:new", k=5)]
    assert all(_cluster(i) == 2 for i in similar)  # the espresso cluster
