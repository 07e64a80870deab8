"""The hybrid: a session steers it, cold users get popular items, new texts get neighbours."""

from __future__ import annotations

from pathlib import Path

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


def test_standardised_parts_have_mean_0_and_spread_1_over_the_items_left_to_rank() -> None:
    import scipy.sparse as sp

    from models.hybrid import _rescaled

    rng = np.random.default_rng(2)
    scores = rng.random((3, 8)) * 10
    own = sp.csr_matrix(np.asarray([[1, 1, 0, 0, 0, 0, 0, 0], [0] * 8, [0] * 7 + [1]],
                                   dtype=np.float32))
    z = _rescaled(scores, own, "z")
    for row in range(3):
        left = np.flatnonzero(own[row].toarray()[0] == 0)
        assert np.isclose(z[row, left].mean(), 0.0) and np.isclose(z[row, left].std(), 1.0)
    assert np.array_equal(np.argsort(z, axis=1), np.argsort(scores, axis=1))  # order kept
    flat = _rescaled(np.ones((1, 4)), None, "z")
    assert np.all(flat == 0.0)  # no spread: nothing to standardise, no division by 0
    broken = scores.copy()
    broken[1, 3] = -np.inf  # a part that refuses an item: that item gets 0, the rest as before
    z_broken = _rescaled(broken, own, "z")
    assert np.isfinite(z_broken).all() and z_broken[1, 3] == 0.0
    kept = np.delete(np.arange(8), 3)
    assert np.isclose(z_broken[1, kept].mean(), 0.0) and np.isclose(z_broken[1, kept].std(), 1.0)
    assert np.allclose(z_broken[[0, 2]], z[[0, 2]])


def test_a_hybrid_saved_before_scaling_existed_loads_with_min_max(tmp_path: Path) -> None:
    import json

    from models.catalog import load

    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0}).fit(clustered_interactions())
    folder = model.save(tmp_path / "h")
    meta = json.loads((folder / "model.json").read_text())
    del meta["params"]["scaling"]
    (folder / "model.json").write_text(json.dumps(meta))
    loaded = load(folder)
    assert isinstance(loaded, HybridRecommender) and loaded.scaling == "minmax"
    assert loaded.recommend("u7", k=5) == model.recommend("u7", k=5)
