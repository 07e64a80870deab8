"""What serving needs from a model, and a model as it is served (name, version, variant).

`ServableModel` is the serving side of `models.base.Recommender`: serving never depends on how
a model scores, only on these calls, so tests put fakes behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from models.filters import Filters, Scored


class ServableModel(Protocol):
    """The calls serving makes on a model (`models.base.Recommender` has them all)."""

    def recommend(self, user: str, k: int = 10, filters: Filters | None = None, *,
                  history: Sequence[str] = ()) -> list[Scored]: ...

    def similar_items(self, item: str, k: int = 10,
                      filters: Filters | None = None) -> list[Scored]: ...

    def similar_to_text(self, text: str, k: int = 10,
                        filters: Filters | None = None) -> list[Scored]:
        """Items nearest the words of an item the model never saw; [] without content."""
        ...

    def user_row(self, user: str) -> int | None:
        """The user's row in the training data, None for a user the model never saw."""
        ...

    def popularity_scores(self) -> np.ndarray: ...

    @property
    def item_ids(self) -> np.ndarray: ...


@dataclass(frozen=True, kw_only=True)
class ServedModel:
    """One loaded model version; replaced whole, never mutated, so a swap is atomic."""

    name: str
    version: str
    alias: str
    model: ServableModel
    loaded_at: float
    popular: dict[str, tuple[Scored, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


POPULAR_PER_DOMAIN = 200


def popular_by_domain(model: ServableModel, n: int = POPULAR_PER_DOMAIN
                      ) -> dict[str, tuple[Scored, ...]]:
    """The model's most popular items per domain (and overall under ""), computed once."""
    from contracts.items import item_domain

    scores = np.asarray(model.popularity_scores(), dtype=np.float64)
    ids = model.item_ids
    order = np.argsort(-scores, kind="stable")
    out: dict[str, list[Scored]] = {"": []}
    for col in order:
        item = str(ids[col])
        domain = item_domain(item)
        row = Scored(item, float(scores[col]))
        if len(out[""]) < n:
            out[""].append(row)
        if domain is not None:
            bucket = out.setdefault(domain.value, [])
            if len(bucket) < n:
                bucket.append(row)
        if all(len(v) >= n for v in out.values()) and len(out) > 3:
            break
    return {k: tuple(v) for k, v in out.items()}
