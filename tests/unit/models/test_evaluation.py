from __future__ import annotations

import math

import numpy as np
import pandas as pd

from models.evaluation.metrics import coverage, novelty, ranking_metrics
from models.evaluation.splits import (
    leave_last_out_split,
    random_per_user_split,
    stratified_split,
    temporal_split,
)


def test_ranking_metrics_by_hand() -> None:
    recs = {"a": ["x", "y", "z"], "b": ["p", "q", "r"], "c": ["x"]}
    truth = {"a": {"y", "w"}, "b": {"nothing"}, "d": {"x"}}
    m = ranking_metrics(recs, truth, k=3)
    # user a: hit at rank 2; user b: no hit; c and d are not in both sets.
    idcg = 1 + 1 / math.log2(3)
    assert math.isclose(m["ndcg@3"], (1 / math.log2(3)) / idcg / 2)
    assert math.isclose(m["precision@3"], (1 / 3) / 2)
    assert math.isclose(m["recall@3"], (1 / 2) / 2)
    assert math.isclose(m["map@3"], (1 / 2) / 2 / 2)


def test_coverage_and_novelty() -> None:
    recs = {"a": ["x", "y"], "b": ["x"]}
    assert coverage(recs, 4) == 0.5
    assert math.isclose(novelty(recs, {"x": 4, "y": 1}, 4), (0 + 2 + 0) / 3)


def _frame(n_users: int = 30, n_items: int = 20, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(f"u{u}", f"i{i}", pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=h))
            for h, (u, i) in enumerate((u, i) for u in range(n_users) for i in range(n_items)
                                       if rng.random() < 0.4)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def test_stratified_split_keeps_the_ratio_per_item_and_is_reproducible() -> None:
    frame = _frame()
    train, test = stratified_split(frame, ratio=0.75, filter_by="item", seed=42)
    assert len(train) + len(test) == len(frame)
    per_item = train.groupby("item_id").size() / frame.groupby("item_id").size()
    assert (per_item <= 0.75 + 1e-9).all()
    again, _ = stratified_split(frame, ratio=0.75, filter_by="item", seed=42)
    assert train.index.equals(again.index)


def test_other_splits() -> None:
    frame = _frame()
    train, test = random_per_user_split(frame, ratio=0.8)
    assert len(train) + len(test) == len(frame)
    train, test = leave_last_out_split(frame)
    assert test.groupby("user_id").size().max() == 1
    last = frame.groupby("user_id")["timestamp"].max()
    assert dict(zip(test["user_id"], test["timestamp"], strict=True)) == last.to_dict()
    train, test = temporal_split(frame, ratio=0.8)
    assert train["timestamp"].max() < test["timestamp"].min()
