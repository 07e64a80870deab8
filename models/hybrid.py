"""The hybrid: collaborative filtering, content and popularity, plus the caller's session.

Each component's scores are scaled to [0, 1] per user and blended with weights tuned on a
validation split (`models.tuning`). A known user's live session (the `history` serving reads
from the online store) adds `session_weight` times the session's own scores. Users with no
history get the popular items; serving puts trending ones first (its cold start).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from models.base import Recommender
from models.components import COMPONENTS
from models.filters import Filters, Scored
from models.interactions import Interactions

DEFAULT_WEIGHTS = {"cf": 1.0, "content": 0.05, "popularity": 0.05}


class HybridRecommender(Recommender):
    name = "hybrid"

    def __init__(self, *, cf: str = "ease", cf_params: dict[str, Any] | None = None,
                 weights: dict[str, float] | None = None, session_weight: float = 0.5) -> None:
        super().__init__()
        self.cf, self.cf_params = cf, dict(cf_params or {})
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.session_weight = session_weight
        self.components: dict[str, Recommender] = {}

    @property
    def params(self) -> dict[str, Any]:
        return {"cf": self.cf, "cf_params": self.cf_params, "weights": self.weights,
                "session_weight": self.session_weight}

    def fit(self, data: Interactions) -> Self:
        return super().fit(data.with_items(data.item_texts))

    def _fit(self, data: Interactions) -> None:
        self.components = {"cf": COMPONENTS.build(self.cf, **self.cf_params).fit(data)}
        if data.item_texts and self.weights.get("content", 0.0) > 0:
            self.components["content"] = COMPONENTS.build("content").fit(data)

    def _blend(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        total = np.zeros_like(next(iter(parts.values())), dtype=np.float64)
        for key, scores in parts.items():
            total += self.weights.get(key, 0.0) * _scaled(scores)
        return total

    def _popular(self, n_rows: int) -> np.ndarray:
        return np.tile(self.popularity_scores(), (n_rows, 1))

    def _score_users(self, rows: np.ndarray) -> np.ndarray:
        parts = {k: m._score_users(rows) for k, m in self.components.items()}
        return self._blend({**parts, "popularity": self._popular(len(rows))})

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        parts = {k: m._score_history(history) for k, m in self.components.items()}
        return self._blend({**parts, "popularity": self._popular(history.shape[0])})

    def _similar(self, col: int) -> np.ndarray:
        parts = {k: m._similar(col)[None, :] for k, m in self.components.items()}
        return self._blend(parts)[0]

    def similar_to_text(self, text: str, k: int = 10,
                        filters: Filters | None = None) -> list[Scored]:
        content = self.components.get("content")
        return content.similar_to_text(text, k, filters) if content is not None else []

    def _user_scores(self, row: int | None, session: sp.csr_matrix) -> np.ndarray:
        if row is None and not session.nnz:  # scaled like every blended score
            return _scaled(self.popularity_scores()[None, :])[0]
        scores = super()._user_scores(row, session)
        if row is not None and session.nnz:
            scores = scores + self.session_weight * self._score_history(session)[0]
        return scores

    def _save_extra(self, folder: Path) -> None:
        for key, model in self.components.items():
            model.save(folder / "components" / key)

    def _load_extra(self, folder: Path) -> None:
        parts = folder / "components"
        self.components = {p.name: COMPONENTS.load(p) for p in sorted(parts.iterdir())}

    def explain(self, user_history: Sequence[str], item_ids: Sequence[str], n: int = 3
                ) -> dict[str, list[str]]:
        """From the collaborative part (the blend's other parts are not about the history)."""
        cf = self.components.get("cf")
        explain = getattr(cf, "explain", None)
        return explain(user_history, item_ids, n) if explain is not None else {}


def _scaled(scores: np.ndarray) -> np.ndarray:
    """Min-max scale each row to [0, 1] (non-finite entries become 0)."""
    values = np.where(np.isfinite(scores), scores, np.nan)
    low = np.nanmin(values, axis=1, keepdims=True)
    span = np.nanmax(values, axis=1, keepdims=True) - low
    scaled = (values - low) / np.where(span > 0, span, 1.0)
    return np.nan_to_num(scaled, nan=0.0)
