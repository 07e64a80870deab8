"""The user x item interaction matrix every recommender trains on.

This is the one place that maps string ids to matrix indices; models only ever see
`Interactions` and CSR matrices with users as rows and items as columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.errors import ModelFitError


@dataclass(frozen=True, kw_only=True)
class Interactions:
    """A weighted user x item matrix plus the ids of its rows and columns."""

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_categories: dict[str, str] = field(default_factory=dict)
    item_texts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.matrix.shape != (len(self.user_ids), len(self.item_ids)):
            raise ModelFitError(
                f"matrix shape {self.matrix.shape} does not match "
                f"{len(self.user_ids)} users x {len(self.item_ids)} items")

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        user_col: str = "user_id",
        item_col: str = "item_id",
        weight_col: str | None = "weight",
        items: Sequence[str] | None = None,
        item_categories: dict[str, str] | None = None,
        item_texts: dict[str, str] | None = None,
    ) -> Interactions:
        """Sum weights per (user, item); `items` fixes (and may extend) the item columns."""
        users = np.asarray(sorted(frame[user_col].astype(str).unique()), dtype=object)
        known = frame[item_col].astype(str).unique()
        item_ids = np.asarray(
            list(items) if items is not None else sorted(known), dtype=object)
        user_index = pd.Index(users)
        item_index = pd.Index(item_ids)
        rows = user_index.get_indexer(frame[user_col].astype(str))
        cols = item_index.get_indexer(frame[item_col].astype(str))
        keep = cols >= 0
        weights = (frame[weight_col].to_numpy(dtype=np.float32)
                   if weight_col and weight_col in frame else np.ones(len(frame), np.float32))
        matrix = sp.csr_matrix(
            (weights[keep], (rows[keep], cols[keep])),
            shape=(len(users), len(item_ids)), dtype=np.float32)
        matrix.sum_duplicates()
        return cls(matrix=matrix, user_ids=users, item_ids=item_ids,
                   item_categories=dict(item_categories or {}), item_texts=dict(item_texts or {}))

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.user_ids), len(self.item_ids))

    @property
    def nnz(self) -> int:
        return int(self.matrix.nnz)

    def binary(self) -> Interactions:
        """The same matrix with every stored weight set to 1."""
        matrix = self.matrix.copy()
        matrix.data = np.ones_like(matrix.data)
        return self.replace(matrix=matrix)

    def with_items(self, extra: Iterable[str]) -> Interactions:
        """Add empty columns for items that have no interactions yet (cold items)."""
        known = set(self.item_ids.tolist())
        new = [i for i in dict.fromkeys(extra) if i not in known]
        if not new:
            return self
        matrix = sp.hstack([self.matrix, sp.csr_matrix((self.shape[0], len(new)),
                                                       dtype=np.float32)]).tocsr()
        item_ids = np.concatenate([self.item_ids, np.asarray(new, dtype=object)])
        return self.replace(matrix=matrix, item_ids=item_ids)

    def replace(self, **changes: object) -> Interactions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
