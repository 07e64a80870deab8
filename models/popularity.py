"""Most-popular baselines: global, and per category (weighted by the user's categories)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from models.base import Recommender
from models.interactions import Interactions


class PopularityRecommender(Recommender):
    """Scores items by how many users interacted with them.

    With `by_category=True` a user's scores favour the categories they interact with most,
    so each category keeps its own popularity order.
    """

    name = "popularity"

    def __init__(self, *, by_category: bool = False) -> None:
        super().__init__()
        self.by_category = by_category
        self._item_cat = np.zeros(0, dtype=np.int64)
        self._n_cats = 1

    @property
    def params(self) -> dict[str, Any]:
        return {"by_category": self.by_category}

    def _fit(self, data: Interactions) -> None:
        self._index_categories(data)

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._index_categories(self.data)

    def _index_categories(self, data: Interactions) -> None:
        cats = [data.item_categories.get(str(i), "") for i in data.item_ids]
        names = {c: n for n, c in enumerate(dict.fromkeys(cats))}
        self._item_cat = np.asarray([names[c] for c in cats], dtype=np.int64)
        self._n_cats = max(len(names), 1)

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        pop = self._popularity / max(float(self._popularity.max(initial=0.0)), 1.0)
        scores = np.tile(pop, (history.shape[0], 1)).astype(np.float64)
        if not self.by_category:
            return scores
        onehot = sp.csr_matrix((np.ones(len(self._item_cat)), (np.arange(len(self._item_cat)),
                                self._item_cat)), shape=(len(self._item_cat), self._n_cats))
        per_cat = ((history > 0).astype(np.float64) @ onehot).toarray()
        share = per_cat / np.maximum(per_cat.sum(axis=1, keepdims=True), 1.0)
        return scores * (0.1 + share[:, self._item_cat])

    def _similar(self, col: int) -> np.ndarray:
        same = self._item_cat == self._item_cat[col]
        return np.where(same, self._popularity, self._popularity * 1e-3).astype(np.float64)
