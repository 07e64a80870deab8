"""Matrix factorisation with `implicit` (ALS and BPR), wrapped once here.

`implicit` wants a user x item CSR matrix (since 0.5); this module is the single adapter
that hands it ours and reads the factors back. BLAS is held to one thread while fitting:
implicit runs its own threads and OpenBLAS threading only slows it down.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.cpu.bpr import BayesianPersonalizedRanking
from threadpoolctl import threadpool_limits

from models.base import Recommender
from models.explanations import contributions
from models.interactions import Interactions


class _FactorModel(Recommender):
    """Scores are dot products of user and item factors."""

    def __init__(self, *, factors: int, regularization: float, iterations: int,
                 seed: int, threads: int) -> None:
        super().__init__()
        self.factors, self.regularization = factors, regularization
        self.iterations, self.seed, self.threads = iterations, seed, threads
        self.user_factors = np.zeros((0, factors), dtype=np.float32)
        self.item_factors = np.zeros((0, factors), dtype=np.float32)

    def _base_params(self) -> dict[str, Any]:
        return {"factors": self.factors, "regularization": self.regularization,
                "iterations": self.iterations, "seed": self.seed, "threads": self.threads}

    def _fit(self, data: Interactions) -> None:
        model = self._implicit()  # Recommender.fit already holds BLAS to one thread
        model.fit(self._input(data.matrix), show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def _input(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        return matrix.astype(np.float32).tocsr()

    def _implicit(self) -> Any:
        raise NotImplementedError

    def _score_users(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.user_factors[rows] @ self.item_factors.T)

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(self._fold_in(history) @ self.item_factors.T)

    def _fold_in(self, history: sp.csr_matrix) -> np.ndarray:
        """Factors for users described only by their items: the mean of the item factors."""
        binary = (history > 0).astype(np.float32)
        counts = np.maximum(np.asarray(binary.sum(axis=1)), 1.0)
        return np.asarray(binary @ self.item_factors) / counts

    def _similar(self, col: int) -> np.ndarray:
        norms = np.linalg.norm(self.item_factors, axis=1) + 1e-9
        return np.asarray((self.item_factors @ self.item_factors[col]) / (norms * norms[col]),
                          dtype=np.float64)

    def _state(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self.user_factors, self.item_factors = arrays["user_factors"], arrays["item_factors"]

    def explain(self, user_history: Sequence[str], item_ids: Sequence[str], n: int = 3
                ) -> dict[str, list[str]]:
        """Per item, the history items nearest it by item vectors (cosine): a dot product
        does not split into per-item shares, so the nearest items stand in for them."""
        return contributions(self._item_index, user_history, item_ids, n, self._cosines)

    def _cosines(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        a, b = self.item_factors[rows], self.item_factors[cols]
        norms = np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)) + 1e-9
        return np.asarray(a @ b.T) / norms


class ALSRecommender(_FactorModel):
    """Implicit-feedback ALS (Hu, Koren, Volinsky 2008); confidence = 1 + alpha * weight."""

    name = "als"

    def __init__(self, *, factors: int = 64, regularization: float = 0.05, alpha: float = 1.0,
                 iterations: int = 15, seed: int = 42, threads: int = 0) -> None:
        super().__init__(factors=factors, regularization=regularization,
                         iterations=iterations, seed=seed, threads=threads)
        self.alpha = alpha

    @property
    def params(self) -> dict[str, Any]:
        return {**self._base_params(), "alpha": self.alpha}

    def _implicit(self) -> AlternatingLeastSquares:
        return AlternatingLeastSquares(
            factors=self.factors, regularization=self.regularization, alpha=self.alpha,
            iterations=self.iterations, random_state=self.seed, num_threads=self.threads)

    def _fold_in(self, history: sp.csr_matrix) -> np.ndarray:
        """The exact ALS least-squares solution for new users, item factors held fixed."""
        rows = np.arange(history.shape[0])
        with threadpool_limits(limits=1, user_api="blas"):
            model = self._implicit()
            model.user_factors, model.item_factors = self.user_factors, self.item_factors
            return np.atleast_2d(np.asarray(
                model.recalculate_user(rows, self._input(history)), dtype=np.float32))


class BPRRecommender(_FactorModel):
    """Bayesian personalised ranking (Rendle et al. 2009) with implicit's item bias column."""

    name = "bpr"

    def __init__(self, *, factors: int = 64, regularization: float = 0.01,
                 learning_rate: float = 0.05, iterations: int = 100, seed: int = 42,
                 threads: int = 0) -> None:
        super().__init__(factors=factors, regularization=regularization,
                         iterations=iterations, seed=seed, threads=threads)
        self.learning_rate = learning_rate

    @property
    def params(self) -> dict[str, Any]:
        return {**self._base_params(), "learning_rate": self.learning_rate}

    def _implicit(self) -> BayesianPersonalizedRanking:
        return BayesianPersonalizedRanking(
            factors=self.factors, learning_rate=self.learning_rate,
            regularization=self.regularization, iterations=self.iterations,
            random_state=self.seed, num_threads=self.threads)

    def _input(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        return (matrix > 0).astype(np.float32).tocsr()

    def _fold_in(self, history: sp.csr_matrix) -> np.ndarray:
        factors = super()._fold_in(history)
        factors[:, -1] = 1.0  # implicit keeps the item bias in the last column
        return factors
