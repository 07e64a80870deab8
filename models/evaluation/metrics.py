"""Ranking metrics at k, as defined by microsoft/recommenders' python_evaluation.

Users counted are those present in both the test set and the recommendations; every test
interaction is relevant (binary gain). Precision divides hits by k, recall by the user's
number of test items; nDCG uses binary gain with the ideal list of min(k, relevant)
hits; MAP@k sums precision at each hit and divides by min(k, relevant).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def ranking_metrics(recommended: Mapping[str, Sequence[str]],
                    relevant: Mapping[str, set[str]], *, k: int) -> dict[str, float]:
    users = [u for u in relevant if u in recommended and relevant[u]]
    if not users:
        return {f"{m}@{k}": 0.0 for m in ("ndcg", "precision", "recall", "map")}
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ndcg = precision = recall = ap = 0.0
    for user in users:
        truth = relevant[user]
        hits = np.asarray([item in truth for item in list(recommended[user])[:k]], dtype=float)
        n_hits = hits.sum()
        ideal = discounts[:min(k, len(truth))].sum()
        ndcg += float((hits * discounts[:len(hits)]).sum() / ideal)
        precision += float(n_hits) / k
        recall += float(n_hits) / len(truth)
        if n_hits:
            precision_at_hit = np.cumsum(hits) / np.arange(1, len(hits) + 1)
            ap += float((precision_at_hit * hits).sum() / min(k, len(truth)))
    n = len(users)
    return {f"ndcg@{k}": ndcg / n, f"precision@{k}": precision / n,
            f"recall@{k}": recall / n, f"map@{k}": ap / n}


def coverage(recommended: Mapping[str, Sequence[str]], catalog_size: int) -> float:
    """Share of the catalog that appears in at least one list."""
    shown = {item for items in recommended.values() for item in items}
    return len(shown) / catalog_size if catalog_size else 0.0


def novelty(recommended: Mapping[str, Sequence[str]], popularity: Mapping[str, float],
            n_users: int) -> float:
    """Mean self-information, -log2(share of users who know the item), of recommended items."""
    values = [-np.log2(max(popularity.get(item, 0.0), 1.0) / max(n_users, 1))
              for items in recommended.values() for item in items]
    return float(np.mean(values)) if values else 0.0
