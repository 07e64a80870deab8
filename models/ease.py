"""EASE (Steck, 2019): a closed-form item-item linear autoencoder.

B = I - P diagMat(1 / diag(P)) with P = (X'X + lambda I)^-1, then score = X B.
Dense in the number of items, so it refuses catalogs above `max_items`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import linalg

from models.base import Recommender
from models.errors import ModelFitError
from models.explanations import contributions
from models.interactions import Interactions


class EASERecommender(Recommender):
    name = "ease"

    def __init__(self, *, l2: float = 500.0, binary: bool = True,
                 max_items: int = 30_000) -> None:
        super().__init__()
        self.l2, self.binary, self.max_items = l2, binary, max_items
        self._b = np.zeros((0, 0), dtype=np.float32)

    @property
    def params(self) -> dict[str, Any]:
        return {"l2": self.l2, "binary": self.binary, "max_items": self.max_items}

    def _fit(self, data: Interactions) -> None:
        n_items = data.shape[1]
        if n_items > self.max_items:
            raise ModelFitError(f"ease: {n_items} items is above max_items={self.max_items}")
        x = self._input(data.matrix)
        gram = np.asarray((x.T @ x).toarray(), dtype=np.float64)
        gram[np.diag_indices(n_items)] += self.l2
        p = linalg.inv(gram, overwrite_a=True, check_finite=False)
        b = -p / np.diag(p)
        b[np.diag_indices(n_items)] = 0.0
        # the inverse comes back column-major; scoring wants rows, and a sparse product with
        # a column-major B copies all of it per call (350 ms a user at 10k items)
        self._b = np.ascontiguousarray(b, dtype=np.float32)

    def _input(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        x = matrix.astype(np.float32)
        return (x > 0).astype(np.float32) if self.binary else x

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self._input(history) @ self._b)

    def _similar(self, col: int) -> np.ndarray:
        return self._b[col].astype(np.float64)

    def _state(self) -> dict[str, np.ndarray]:
        return {"b": self._b}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._b = np.ascontiguousarray(arrays["b"])  # saves before the fix hold column-major

    def explain(self, user_history: Sequence[str], item_ids: Sequence[str], n: int = 3
                ) -> dict[str, list[str]]:
        """Per item, the history items that added most to its score: with binary input,
        B[j, i] is exactly history item j's share of score(u, i)."""
        return contributions(self._item_index, user_history, item_ids, n,
                             lambda rows, cols: self._b[np.ix_(rows, cols)])
