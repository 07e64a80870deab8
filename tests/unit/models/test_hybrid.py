"""The hybrid: a session steers it, cold users get popular items, new texts get neighbours."""

from __future__ import annotations

import numpy as np

from models.hybrid import HybridRecommender
from tests.unit.models.synthetic import clustered_interactions


def _cluster(item_id: str) -> int:
    return int(item_id.removeprefix("product:p")) % 4


def test_cold_user_gets_the_most_popular_items() -> None:
    """Serving puts trending items before these (its cold start, `RecommendationService`)."""
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0})
    model.fit(clustered_interactions())
    top = [r.item_id for r in model.recommend("brand-new", k=3)]
    popular = model.item_ids[np.argsort(-model.popularity_scores(), kind="stable")[:3]]
    assert top == list(popular)


def test_session_steers_an_anonymous_user_to_its_cluster() -> None:
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0})
    model.fit(clustered_interactions())
    session = ["product:p2", "product:p6", "product:p10"]  # cluster 2
    recs = model.recommend("anon", k=5, history=session)  # what serving reads from the store
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
