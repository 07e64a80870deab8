"""Fit a model on a train frame and score its top-k lists against a test frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.base import Recommender
from models.evaluation.metrics import coverage, novelty, ranking_metrics
from models.interactions import Interactions


@dataclass(frozen=True, kw_only=True)
class SideInfo:
    """Item texts and categories offered to the models that use them."""

    texts: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)


NO_SIDE_INFO = SideInfo()


def to_interactions(train: pd.DataFrame, side: SideInfo = NO_SIDE_INFO,
                    weight_col: str | None = None) -> Interactions:
    return Interactions.from_frame(train, weight_col=weight_col,
                                   item_categories=side.categories, item_texts=side.texts)


def evaluate(model: Recommender, train: pd.DataFrame, test: pd.DataFrame, *, k: int = 10,
             side: SideInfo = NO_SIDE_INFO, weight_col: str | None = None,
             exclude_seen: bool = True) -> dict[str, float]:
    """Fit `model` on `train`; metrics over the test users it knows, plus train_seconds."""
    data = to_interactions(train, side, weight_col)
    model.fit(data)
    return score(model, test, k=k, exclude_seen=exclude_seen)


def score(model: Recommender, test: pd.DataFrame, *, k: int = 10,
          exclude_seen: bool = True) -> dict[str, float]:
    """Metrics of an already fitted model on `test` (user_id, item_id rows)."""
    data = model.data
    relevant: dict[str, set[str]] = {
        str(u): set(items) for u, items in test.astype({"user_id": str, "item_id": str})
        .groupby("user_id")["item_id"]}
    users = [u for u in relevant if model.user_row(u) is not None]
    rows = np.asarray([model.user_row(u) for u in users], dtype=np.int64)
    top = model.recommend_rows(rows, k, exclude_seen=exclude_seen) if len(rows) else np.zeros(
        (0, k), dtype=np.int64)
    recommended = {u: [str(i) for i in data.item_ids[top[n]]] for n, u in enumerate(users)}
    popularity = dict(zip(data.item_ids.tolist(), model.popularity_scores().tolist(),
                          strict=True))
    return {
        **ranking_metrics(recommended, relevant, k=k),
        "coverage": coverage(recommended, data.shape[1]),
        "novelty": novelty(recommended, popularity, data.shape[0]),
        "train_seconds": model.train_seconds,
        "test_users": float(len(users)),
    }
