"""Item-based k-nearest-neighbours with cosine or BM25-weighted similarities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from implicit.nearest_neighbours import bm25_weight
from sklearn.preprocessing import normalize

from models import persistence
from models.base import Recommender
from models.errors import ModelFitError
from models.explanations import contributions
from models.interactions import Interactions

Weighting = Literal["cosine", "bm25"]


class ItemKNNRecommender(Recommender):
    """score(u, i) = sum over the user's items j of sim(j, i), keeping `neighbours` per item."""

    name = "item_knn"

    def __init__(self, *, similarity: Weighting = "cosine", neighbours: int = 100,
                 shrink: float = 0.0, k1: float = 1.2, b: float = 0.75) -> None:
        super().__init__()
        if similarity not in ("cosine", "bm25"):
            raise ModelFitError(f"unknown similarity {similarity!r}")
        self.similarity, self.neighbours, self.shrink = similarity, neighbours, shrink
        self.k1, self.b = k1, b
        self._sim = sp.csr_matrix((0, 0), dtype=np.float32)
        self._neighbours = _Padded.of(self._sim)

    @property
    def params(self) -> dict[str, Any]:
        return {"similarity": self.similarity, "neighbours": self.neighbours,
                "shrink": self.shrink, "k1": self.k1, "b": self.b}

    def _fit(self, data: Interactions) -> None:
        x = data.matrix.astype(np.float32)
        if self.similarity == "bm25":
            x = bm25_weight(x, K1=self.k1, B=self.b).tocsr().astype(np.float32)
        else:
            x = normalize(x, norm="l2", axis=0)
        sim = (x.T @ x).tocsr()
        if self.shrink > 0:
            support = (data.matrix > 0).astype(np.float32)
            common = (support.T @ support).tocsr()
            common.data = common.data / (common.data + self.shrink)
            sim = sim.multiply(common).tocsr()
        sim.setdiag(0.0)
        sim.eliminate_zeros()
        self._sim = _keep_top(sim, self.neighbours)
        self._neighbours = _Padded.of(self._sim)

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        if history.shape[0] == 1:
            return self._one(history.indices[history.data > 0])[None, :]
        return np.asarray(((history > 0).astype(np.float32) @ self._sim).toarray())

    def _score_one(self, row: int | None, session: np.ndarray, own: np.ndarray) -> np.ndarray:
        if row is None and not len(session):
            return self.popularity_scores()
        return self._one(np.union1d(session, own) if len(session) else own)

    def _one(self, cols: np.ndarray) -> np.ndarray:
        """One user's scores: the sum of their items' similarity rows, without a sparse
        product (whose set-up costs more than the sum for a handful of items)."""
        n = self._sim.shape[1]
        if len(cols) == 0:
            return np.zeros(n, dtype=np.float32)
        near = self._neighbours
        return np.bincount(near.index[cols].ravel(), weights=near.score[cols].ravel(),
                           minlength=n).astype(np.float32)

    def _similar(self, col: int) -> np.ndarray:
        return np.asarray(self._sim[col].toarray()).ravel().astype(np.float64)

    def _state(self) -> dict[str, np.ndarray]:
        return persistence.sparse_arrays("sim", self._sim)

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._sim = persistence.sparse_from("sim", arrays)
        self._neighbours = _Padded.of(self._sim)

    def explain(self, user_history: Sequence[str], item_ids: Sequence[str], n: int = 3
                ) -> dict[str, list[str]]:
        """Per item, the history items that added most to its score: sim(j, i) is exactly
        history item j's share of score(u, i)."""
        return contributions(self._item_index, user_history, item_ids, n, self._pairs)

    def _pairs(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """sim[rows][:, cols] dense, from the padded neighbour rows (a sparse fancy index
        costs about 100 µs; this about a tenth)."""
        near = self._neighbours
        index, score = near.index[rows], near.score[rows]
        order = np.argsort(cols)
        ordered = cols[order]
        at = np.minimum(np.searchsorted(ordered, index), len(cols) - 1)
        r, w = np.nonzero((ordered[at] == index) & (score != 0))
        out = np.zeros((len(rows), len(cols)), dtype=np.float64)
        out[r, order[at[r, w]]] = score[r, w]
        return out


@dataclass(frozen=True, slots=True)
class _Padded:
    """Each item's neighbours as a row of a dense (items by widest row) pair of arrays, padded
    with score 0: one user's items then gather in one fancy index instead of a slice per item.
    At most `neighbours` wide, so never larger than the similarity matrix may grow."""

    index: np.ndarray
    score: np.ndarray

    @classmethod
    def of(cls, sim: sp.csr_matrix) -> _Padded:
        lengths = np.diff(sim.indptr)
        width = int(lengths.max()) if len(lengths) else 0
        index = np.zeros((sim.shape[0], width), dtype=np.int32)
        score = np.zeros((sim.shape[0], width), dtype=np.float32)
        rows = np.repeat(np.arange(sim.shape[0]), lengths)
        slots = np.arange(sim.nnz) - np.repeat(sim.indptr[:-1], lengths)
        index[rows, slots] = sim.indices
        score[rows, slots] = sim.data
        return cls(index=index, score=score)


def _keep_top(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of every row of a square similarity matrix."""
    rows, cols, vals = [], [], []
    for r in range(sim.shape[0]):
        start, end = sim.indptr[r], sim.indptr[r + 1]
        data, idx = sim.data[start:end], sim.indices[start:end]
        if len(data) > k:
            top = np.argpartition(-data, k - 1)[:k]
            data, idx = data[top], idx[top]
        rows.append(np.full(len(idx), r))
        cols.append(idx)
        vals.append(data)
    if not rows:
        return sim
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=sim.shape, dtype=np.float32)
