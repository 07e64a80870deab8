"""Blend weights chosen on cached component scores: each component is scored once, then
every candidate blend is only a weighted sum and a top-k, never a refit.

`ndcg_at_k` is the binary-gain nDCG of `models.evaluation.metrics` on dense matrices.
`search_weights` walks the weights one component at a time over a grid (coordinate ascent,
the anchor held at 1), keeping a change only when validation nDCG rises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

WEIGHT_GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def ndcg_at_k(scores: np.ndarray, truth: np.ndarray, *, k: int = 10) -> float:
    """Mean nDCG@k over the rows of `truth` (users x items, True = relevant) with a hit."""
    users = truth.any(axis=1)
    if not users.all():  # the search hands over only rows with a hit: no copy then
        scores, truth = scores[users], truth[users]
    if not len(scores):
        return 0.0
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    hits = np.take_along_axis(truth, np.take_along_axis(top, order, axis=1), axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(truth.sum(axis=1), k) - 1]
    return float(((hits * discounts).sum(axis=1) / ideal).mean())


def search_weights(parts: Mapping[str, np.ndarray], truth: np.ndarray, *,
                   seen: np.ndarray | None = None, anchor: str = "cf", k: int = 10,
                   grid: Sequence[float] = WEIGHT_GRID, rounds: int = 2
                   ) -> tuple[dict[str, float], float]:
    """Weights (anchor = 1) maximising nDCG@k of sum(weight * part); parts are already
    scaled alike, `seen` (True = excluded) is masked after blending, as serving does."""

    hit = truth.any(axis=1)  # rows without a relevant item score nothing: dropped once
    truth = truth[hit]
    parts = {key: part[hit] for key, part in parts.items()}
    mask = None if seen is None else seen[hit]

    def without(weights: Mapping[str, float], key: str) -> np.ndarray:
        """The blend of every part but `key`, seen items at -inf: a trial of `key` is then
        one multiply-add and a top-k, whatever the number of parts."""
        total = np.zeros(truth.shape, dtype=np.float32)
        for other, w in weights.items():
            if w and other != key:
                total += np.float32(w) * parts[other]
        if mask is not None:
            total[mask] = -np.inf
        return total

    trial_scores = np.empty(truth.shape, dtype=np.float32)

    def blended(rest: np.ndarray, key: str, value: float) -> float:
        np.multiply(parts[key], np.float32(value), out=trial_scores)
        np.add(trial_scores, rest, out=trial_scores)
        return ndcg_at_k(trial_scores, truth, k=k)

    weights = {key: 1.0 if key == anchor else 0.0 for key in parts}
    best = blended(without(weights, anchor), anchor, 1.0)
    for _ in range(rounds):
        changed = False
        for key in (key for key in parts if key != anchor):
            rest = without(weights, key)
            for value in grid:
                if value == weights[key]:
                    continue
                trial = blended(rest, key, value)
                if trial > best + 1e-9:
                    best, weights, changed = trial, {**weights, key: value}, True
        if not changed:
            break
    return weights, best
