"""The one recommender interface: `fit`, `recommend`, `similar_items`, `save`, `load`.

Subclasses implement scoring over item indices; this class owns id mapping, filtering,
excluding what a user has already seen, cold-start fallbacks and the save format.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from models import persistence
from models.errors import ModelFitError, ModelFormatError, NotFittedError
from models.filters import NO_FILTERS, Filters, ItemFacets, Scored
from models.interactions import Interactions
from models.ranking import top_k

BATCH_USERS = 512


class Recommender(ABC):
    """Base of every model. Constructors are keyword-only and take only JSON-able params."""

    name: ClassVar[str]

    def __init__(self) -> None:
        self._data: Interactions | None = None
        self._user_index: dict[str, int] = {}
        self._item_index: dict[str, int] = {}
        self._facets = ItemFacets.of(np.zeros(0, dtype=object), {})
        self._popularity: np.ndarray = np.zeros(0, dtype=np.float32)
        self.train_seconds: float = 0.0

    # --- what a model implements -------------------------------------------------------
    @property
    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-serialisable (saved and logged to MLflow)."""

    @abstractmethod
    def _fit(self, data: Interactions) -> None: ...

    @abstractmethod
    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        """Dense scores (rows x items) for users described by their interaction rows."""

    @abstractmethod
    def _similar(self, col: int) -> np.ndarray:
        """Similarity of every item to item `col`."""

    def _score_users(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 1:  # the serving path: a row view costs far less than fancy indexing
            return self._score_history(self._row(int(rows[0])))
        return self._score_history(self.data.matrix[rows])

    def _state(self) -> dict[str, np.ndarray]:
        return {}

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        return None

    # --- the interface ------------------------------------------------------------------
    @property
    def data(self) -> Interactions:
        if self._data is None:
            raise NotFittedError(f"{self.name} is not fitted")
        return self._data

    @property
    def item_ids(self) -> np.ndarray:
        return self.data.item_ids

    def fit(self, data: Interactions) -> Self:
        if data.nnz == 0:
            raise ModelFitError(f"{self.name}: no interactions to train on")
        started = time.perf_counter()
        # One BLAS thread: implicit runs its own threads, and on a busy machine a BLAS
        # thread pool fighting other work makes EASE's inversion several times slower.
        with threadpool_limits(limits=1, user_api="blas"):
            self._attach(data)
            self._fit(data)
        self.train_seconds = time.perf_counter() - started
        return self

    def recommend(self, user: str, k: int = 10, filters: Filters | None = None, *,
                  history: Sequence[str] = ()) -> list[Scored]:
        """Top-k items for `user`; unknown users are scored from `history` or popularity."""
        filters = filters or NO_FILTERS
        row = self._user_index.get(str(user))
        session = self._history_cols(history)
        own = self._own_cols(row)
        scores = self._score_one(row, session, own)
        mask = filters.mask(self.item_ids, self.data.item_categories, facets=self._facets)
        if filters.exclude_seen:
            mask[session] = False
            mask[own] = False
        return self._top(scores, mask, k)

    def _score_one(self, row: int | None, session: np.ndarray, own: np.ndarray) -> np.ndarray:
        """One user's scores from their row and/or session items. A model may answer faster
        from the item indices (`own`: the row's items) than through a sparse row."""
        return self._user_scores(row, self._as_row(session))

    def _user_scores(self, row: int | None, session: sp.csr_matrix) -> np.ndarray:
        """Scores for a known user `row` and/or a session of items; popularity if neither."""
        if row is not None and session.nnz:
            return self._score_history(session + self._row(row))[0]
        if row is not None:
            return self._score_users(np.asarray([row]))[0]
        if session.nnz:
            return self._score_history(session)[0]
        return self.popularity_scores()

    def similar_items(self, item: str, k: int = 10,
                      filters: Filters | None = None) -> list[Scored]:
        col = self._item_index.get(str(item))
        if col is None:
            return []
        mask = (filters or NO_FILTERS).mask(self.item_ids, self.data.item_categories,
                                            facets=self._facets)
        mask[col] = False
        return self._top(self._similar(col), mask, k)

    def similar_to_text(self, text: str, k: int = 10,
                        filters: Filters | None = None) -> list[Scored]:
        """Items whose content is nearest `text` (an item published after training); [] for
        a model that scores no content."""
        return []

    def recommend_rows(self, rows: np.ndarray, k: int, *, exclude_seen: bool = True) -> np.ndarray:
        """Top-k item indices for many known user rows at once (the evaluation fast path)."""
        out = np.zeros((len(rows), k), dtype=np.int64)
        for start in range(0, len(rows), BATCH_USERS):
            chunk = rows[start:start + BATCH_USERS]
            scores = np.asarray(self._score_users(chunk), dtype=np.float64)
            if exclude_seen:
                seen = self.data.matrix[chunk].tocoo()
                scores[seen.row, seen.col] = -np.inf
            for n, row_scores in enumerate(scores):
                best = top_k(row_scores, k)
                out[start + n, :len(best)] = best
        return out

    def popularity_scores(self) -> np.ndarray:
        return self._popularity.astype(np.float64)

    def user_row(self, user: str) -> int | None:
        return self._user_index.get(str(user))

    # --- persistence --------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        data = self.data
        cats = data.item_categories
        arrays = {"user_ids": data.user_ids, "item_ids": data.item_ids,
                  "cat_keys": np.asarray(list(cats), dtype=object),
                  "cat_values": np.asarray(list(cats.values()), dtype=object),
                  **persistence.sparse_arrays("matrix", data.matrix),
                  **{f"m.{k}": v for k, v in self._state().items()}}
        folder = persistence.write_folder(path, name=self.name, params=self.params,
                                          arrays=arrays)
        self._save_extra(folder)
        return folder

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """A model of this class saved by `save` (`models.catalog.load` reads any class)."""
        meta = persistence.read_meta(path)
        if meta["name"] != cls.name:
            raise ModelFormatError(f"{path} holds a {meta['name']} model, not {cls.name}")
        model = cls(**meta["params"])
        arrays = persistence.read_arrays(path)
        data = Interactions(
            matrix=persistence.sparse_from("matrix", arrays),
            user_ids=arrays["user_ids"].astype(object), item_ids=arrays["item_ids"].astype(object),
            item_categories=dict(zip(arrays["cat_keys"].tolist(),
                                     arrays["cat_values"].tolist(), strict=True)))
        model._attach(data)
        model._restore({k[2:]: v for k, v in arrays.items() if k.startswith("m.")})
        model._load_extra(Path(path))
        return model

    def _save_extra(self, folder: Path) -> None:
        return None

    def _load_extra(self, folder: Path) -> None:
        return None

    # --- internals ----------------------------------------------------------------------
    def _attach(self, data: Interactions) -> None:
        self._data = data
        self._user_index = {str(u): i for i, u in enumerate(data.user_ids)}
        self._facets = ItemFacets.of(data.item_ids, data.item_categories)
        self._item_index = self._facets.index
        self._popularity = np.asarray((data.matrix > 0).sum(axis=0)).ravel().astype(np.float32)

    def _history_cols(self, history: Sequence[str]) -> np.ndarray:
        index = self._item_index
        return np.asarray(sorted({index[i] for i in history if i in index}), dtype=np.int32)

    def _own_cols(self, row: int | None) -> np.ndarray:
        if row is None:
            return np.zeros(0, dtype=np.int32)
        m = self.data.matrix
        return m.indices[m.indptr[row]:m.indptr[row + 1]]

    def _as_row(self, cols: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((np.ones(len(cols), np.float32), cols,
                              np.asarray([0, len(cols)], dtype=np.int32)),
                             shape=(1, len(self.item_ids)))

    def _row(self, row: int) -> sp.csr_matrix:
        """A known user's interactions as a 1-row matrix sharing the training arrays."""
        m = self.data.matrix
        start, end = m.indptr[row], m.indptr[row + 1]
        return sp.csr_matrix((m.data[start:end], m.indices[start:end],
                              np.asarray([0, end - start], dtype=m.indptr.dtype)),
                             shape=(1, m.shape[1]))

    def _top(self, scores: np.ndarray, mask: np.ndarray, k: int) -> list[Scored]:
        positive = np.flatnonzero(scores > 0)
        candidates = positive[mask[positive] & np.isfinite(scores[positive])]
        if len(candidates) < k:  # too few positive scores: every admitted item competes
            candidates = np.flatnonzero(mask & np.isfinite(scores))
        if k <= 0 or len(candidates) == 0:
            return []
        values = scores[candidates]
        best = top_k(values, k)
        # whole-array picks and tolist(): indexing numpy scalars one by one costs more
        ids = self.item_ids[candidates[best]].tolist()
        return [Scored(str(i), float(v))
                for i, v in zip(ids, values[best].tolist(), strict=True)]
