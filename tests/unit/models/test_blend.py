"""Blend weights from cached component scores: the metric, the search, and the tuning path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.catalog import build
from models.evaluation.blend_search import WEIGHT_GRID, ndcg_at_k, search_weights
from models.evaluation.harness import SideInfo, evaluate
from models.evaluation.metrics import ranking_metrics
from models.evaluation.splits import random_per_user_split
from models.hybrid import HybridRecommender
from models.tuning import tune
from tests.unit.models.synthetic import clustered_frame, clustered_interactions, item_side


def test_dense_ndcg_is_the_harness_ndcg() -> None:
    rng = np.random.default_rng(3)
    scores = rng.random((40, 30))
    truth = rng.random((40, 30)) < 0.15
    order = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    recommended = {str(u): [str(i) for i in order[u]] for u in range(40)}
    relevant = {str(u): {str(i) for i in np.flatnonzero(truth[u])} for u in range(40)}
    expected = ranking_metrics(recommended, relevant, k=10)["ndcg@10"]
    assert np.isclose(ndcg_at_k(scores, truth, k=10), expected)


def test_search_weights_up_the_informative_part_and_down_the_noise() -> None:
    rng = np.random.default_rng(5)
    truth = rng.random((60, 50)) < 0.1
    informative = (truth + 0.8 * rng.random(truth.shape)).astype(np.float32)
    parts = {"cf": rng.random(truth.shape).astype(np.float32),  # the anchor is noise here
             "good": informative / informative.max(),
             "noise": rng.random(truth.shape).astype(np.float32)}
    weights, best = search_weights(parts, truth)
    assert weights["cf"] == 1.0
    assert weights["good"] >= 1.0 and weights["noise"] < weights["good"]
    assert best > ndcg_at_k(parts["cf"], truth)
    assert set(weights.values()) <= set(WEIGHT_GRID)


def test_tuning_the_blend_scores_what_the_refitted_hybrid_scores() -> None:
    """Cached scores rank exactly as the hybrid refitted with the chosen weights does."""
    texts, cats = item_side()
    side = SideInfo(texts=texts, categories=cats)
    frame = clustered_frame(users=80)

    def carve(train: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        return random_per_user_split(train, ratio=0.75, seed=1)

    result = tune("hybrid", frame, carve=carve, side=side)
    assert result.params["tune_blend"] is False and result.params["weights"]["cf"] == 1.0
    fit_part, valid_part = carve(frame)
    refit = evaluate(build("hybrid", **result.params), fit_part, valid_part, side=side)
    assert np.isclose(refit["ndcg@10"], result.score, atol=1e-6)


def test_a_default_hybrid_chooses_its_blend_on_a_holdout_of_its_own_data() -> None:
    model = HybridRecommender(cf="ease", cf_params={"l2": 10.0}, tune_blend=True)
    model.fit(clustered_interactions(users=80))
    assert model.blend_validation is not None and model.blend_validation > 0
    assert model.params["weights"]["cf"] == 1.0
    also = {k for k in model.also if model.weights[k] > 0}
    assert set(model.components) == {"cf", "content"} | also  # unweighted parts not refitted
    assert HybridRecommender().tune_blend is False  # the preset keeps its weights


def test_the_searched_score_is_the_chosen_blend_scored_from_scratch() -> None:
    """The search adds one part to a cached rest per trial; its answer is still the plain
    weighted sum's nDCG, with seen items masked and rows without a hit left out."""
    rng = np.random.default_rng(11)
    truth = rng.random((50, 40)) < 0.1
    truth[:5] = False  # users with nothing relevant
    parts = {key: rng.random(truth.shape).astype(np.float32) for key in ("cf", "a", "b")}
    parts["a"] = np.where(truth, parts["a"] + 0.5, parts["a"]).astype(np.float32)
    seen = rng.random(truth.shape) < 0.2
    weights, best = search_weights(parts, truth, seen=seen)
    total = sum(np.float32(w) * parts[key] for key, w in weights.items())
    total = np.where(seen, -np.inf, total)
    assert np.isclose(best, ndcg_at_k(total, truth), atol=1e-6)
    assert weights["a"] > 0
