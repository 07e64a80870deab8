"""Honest hyper-parameter search: fit on part of the training data, score on the rest.

The test set is never looked at. `carve` splits the training frame the same way the
protocol splits the whole data set, so validation mimics the test conditions. The hybrid is
not a grid of refits: each of its parts is fitted once on the fit part, and the blend
weights are searched on their cached validation scores (`tune_blend`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from models.catalog import build
from models.evaluation.harness import NO_SIDE_INFO, SideInfo, evaluate, to_interactions
from models.hybrid import SEARCHED_SCALINGS, HybridRecommender, Scaling

log = logging.getLogger(__name__)

Carve = Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]]

GRIDS: dict[str, list[dict[str, Any]]] = {
    "ease": [{"l2": v} for v in (50.0, 100.0, 200.0, 300.0, 500.0, 800.0, 1500.0, 3000.0)],
    "item_knn": [{"neighbours": n, "shrink": s} for n in (20, 50, 100, 200) for s in (0.0, 10.0)],
    "item_knn_bm25": [{"neighbours": n, "k1": k1, "b": b}
                      for n in (50, 100, 200, 400) for k1 in (0.5, 1.2) for b in (0.5, 0.75)],
    "rp3beta": [{"alpha": a, "beta": b, "neighbours": n}
                for a in (0.5, 0.75, 1.0) for b in (0.2, 0.35, 0.5, 0.6) for n in (50, 100, 200)],
    "als": [{"factors": f, "regularization": r, "alpha": a, "iterations": 15}
            for f in (32, 64, 128) for r in (0.3, 1.0, 3.0) for a in (0.5, 1.0, 5.0)],
    "bpr": [{"factors": f, "learning_rate": lr, "regularization": 0.01, "iterations": it}
            for f in (64, 128) for lr in (0.002, 0.005) for it in (100, 200)],
}


@dataclass(frozen=True, kw_only=True)
class TuningResult:
    preset: str
    params: dict[str, Any]
    score: float
    trials: list[tuple[dict[str, Any], float]]
    fit_seconds: float | None = None  # the hybrid: its parts' fits inside the search


def tune(preset: str, train: pd.DataFrame, *, carve: Carve, k: int = 10,
         metric: str = "ndcg", side: SideInfo = NO_SIDE_INFO, weight_col: str | None = None,
         exclude_seen: bool = True, grid: list[dict[str, Any]] | None = None,
         base: dict[str, Any] | None = None, progress: bool = False) -> TuningResult:
    """The grid point of `preset` with the best validation `metric@k`."""
    if preset == "hybrid" and grid is None:
        return tune_blend(train, carve=carve, side=side, weight_col=weight_col,
                          exclude_seen=exclude_seen, base=base)
    candidates = grid if grid is not None else GRIDS.get(preset, [{}])
    fit_part, valid_part = carve(train)
    trials: list[tuple[dict[str, Any], float]] = []
    for params in tqdm(candidates, desc=f"tune {preset}", disable=not progress, leave=False):
        merged = {**(base or {}), **params}
        model = build(preset, **merged)
        metrics = evaluate(model, fit_part, valid_part, k=k, side=side, weight_col=weight_col,
                           exclude_seen=exclude_seen)
        trials.append((merged, metrics[f"{metric}@{k}"]))
        log.debug("tune %s %s -> %.4f", preset, merged, trials[-1][1])
    best_params, best = max(trials, key=lambda t: t[1])
    log.info("tuned %s: %s (validation %s@%d %.4f)", preset, best_params, metric, k, best)
    return TuningResult(preset=preset, params=best_params, score=best, trials=trials)


def tune_blend(train: pd.DataFrame, *, carve: Carve, side: SideInfo = NO_SIDE_INFO,
               weight_col: str | None = None, exclude_seen: bool = True,
               base: dict[str, Any] | None = None,
               scalings: Sequence[Scaling] = SEARCHED_SCALINGS) -> TuningResult:
    """The hybrid's blend weights and scaling (of `scalings`; nDCG@10) from one fit of each
    part on the fit part."""
    fit_part, valid_part = carve(train)
    model = build("hybrid", **(base or {}))
    assert isinstance(model, HybridRecommender)
    probe = model.with_every_part()
    probe.fit(to_interactions(fit_part, side, weight_col))
    fit_seconds = sum(part.train_seconds for part in probe.components.values())
    valid = valid_part.astype({"user_id": str, "item_id": str})
    users = sorted(u for u in valid["user_id"].unique() if probe.user_row(u) is not None)
    rows = np.asarray([probe.user_row(u) for u in users], dtype=np.int64)
    index = {str(i): n for n, i in enumerate(probe.item_ids)}
    truth = np.zeros((len(rows), len(probe.item_ids)), dtype=bool)
    position = {u: n for n, u in enumerate(users)}
    for user, item in zip(valid["user_id"], valid["item_id"], strict=True):
        if user in position and item in index:
            truth[position[user], index[item]] = True
    weights, scaling, best = probe.searched_weights(rows, truth, exclude_seen=exclude_seen,
                                                    scalings=scalings)
    params = {**(base or {}), "weights": weights, "scaling": scaling, "tune_blend": False}
    log.info("tuned hybrid blend: %s, %s (validation ndcg@10 %.4f)", weights, scaling, best)
    return TuningResult(preset="hybrid", params=params, score=best, trials=[(params, best)],
                        fit_seconds=fit_seconds)
