"""The hybrid: collaborative filtering, content and popularity, plus the caller's session.

Each component's scores are put on one scale per user (`scaling`: min-max to [0, 1], or
standardised over the items the user has not interacted with) and blended with weights
chosen, with the scaling, on validation scores cached once per component
(`models.evaluation.blend_search`):
`models.tuning` fits every part once on its validation split's fit part and searches the
weights; with `tune_blend=True`, `fit` itself does so on a fifth of each user's items held
out, then fits the parts the blend uses on everything. A known user's live session (the
`history` serving reads from the online store) adds `session_weight` times the session's
own scores. Users with no history get the popular items; serving puts trending ones first
(its cold start).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Self

import numpy as np
import scipy.sparse as sp

from models.base import Recommender
from models.components import COMPONENTS
from models.evaluation.blend_search import search_weights
from models.filters import Filters, Scored
from models.interactions import Interactions

# chosen on the validation splits (never the tests) of both benchmark data sets: the blend
# whose worse validation nDCG@10 relative to each set's best blend is highest (0.983, a
# coarse grid then a finer one around its best), so an untuned hybrid is near the best on
# either (docs/benchmarks.md, "## Models")
DEFAULT_WEIGHTS = {"cf": 1.0, "als": 0.75, "item_knn_bm25": 0.5, "content": 0.75,
                   "popularity": 0.1}
# the collaborative parts beside `cf` a default hybrid blends (catalog presets, overrides)
DEFAULT_ALSO: dict[str, dict[str, Any]] = {"als": {}, "item_knn_bm25": {}}
HOLDOUT_SHARE = 0.2
REPEATS_SHARE = 0.05  # held-out entries also in the fit part, above which seen items count
# validation users x items cached per part: beyond it a seeded sample of users (each blend
# tried is a weighted sum and a top-k over these cells, so this bounds the search's time)
MAX_VALIDATION_CELLS = 4_000_000
Scaling = Literal["minmax", "z"]
# the scalings a search tries (the first wins a tie): standardised alone, as it beat min-max
# on both benchmarks' validation splits (never their tests) and each scaling tried costs
# one more walk over the weights (docs/models.md)
SEARCHED_SCALINGS: tuple[Scaling, ...] = ("z",)


class HybridRecommender(Recommender):
    name = "hybrid"

    def __init__(self, *, cf: str = "ease", cf_params: dict[str, Any] | None = None,
                 also: dict[str, dict[str, Any]] | None = None,
                 weights: dict[str, float] | None = None, tune_blend: bool = False,
                 session_weight: float = 0.5, scaling: Scaling = "minmax") -> None:
        super().__init__()
        self.cf, self.cf_params = cf, dict(cf_params or {})
        self.also = {k: dict(v) for k, v in (DEFAULT_ALSO if also is None else also).items()}
        self.weights = {**DEFAULT_WEIGHTS, **(weights or {})}
        self.tune_blend = tune_blend
        self.session_weight = session_weight
        self.scaling: Scaling = scaling  # minmax by default: what models saved before it used
        self.components: dict[str, Recommender] = {}
        self.blend_validation: float | None = None  # nDCG@10 of the chosen blend, when tuned

    @property
    def params(self) -> dict[str, Any]:
        return {"cf": self.cf, "cf_params": self.cf_params, "also": self.also,
                "weights": self.weights, "tune_blend": self.tune_blend,
                "session_weight": self.session_weight, "scaling": self.scaling}

    def fit(self, data: Interactions) -> Self:
        return super().fit(data.with_items(data.item_texts))

    def _fit(self, data: Interactions) -> None:
        if self.tune_blend:
            self.weights, self.scaling = self._tuned_weights(data)
        keys = [k for k in self.also if self.weights.get(k, 0.0) > 0]
        self.components = {"cf": COMPONENTS.build(self.cf, **self.cf_params).fit(data),
                           **{k: COMPONENTS.build(k, **self.also[k]).fit(data) for k in keys}}
        if data.item_texts:  # even unweighted: new items' texts find neighbours through it
            self.components["content"] = COMPONENTS.build("content").fit(data)

    def with_every_part(self) -> HybridRecommender:
        """This configuration with every part weighted, so one fit fits each part once."""
        keys = ["cf", *self.also, "content", "popularity"]
        return HybridRecommender(cf=self.cf, cf_params=self.cf_params, also=self.also,
                                 weights=dict.fromkeys(keys, 1.0), tune_blend=False,
                                 session_weight=self.session_weight, scaling=self.scaling)

    def blend_parts(self, rows: np.ndarray, scaling: Scaling | None = None
                    ) -> dict[str, np.ndarray]:
        """Each part's scores for known user `rows`, scaled as the blend scales them (with
        this model's `scaling` unless told another)."""
        return self._rescaled_parts(self._raw_parts(rows), self.data.matrix[rows],
                                    scaling or self.scaling)

    def _raw_parts(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        parts = {k: np.asarray(m._score_users(rows)) for k, m in self.components.items()}
        return {**parts, "popularity": self._popular(len(rows))}

    @staticmethod
    def _rescaled_parts(raw: dict[str, np.ndarray], own: sp.csr_matrix,
                        scaling: Scaling) -> dict[str, np.ndarray]:
        return {k: _rescaled(v, own, scaling).astype(np.float32) for k, v in raw.items()}

    def searched_weights(self, rows: np.ndarray, truth: np.ndarray, *,
                         exclude_seen: bool = True,
                         scalings: Sequence[Scaling] = SEARCHED_SCALINGS
                         ) -> tuple[dict[str, float], Scaling, float]:
        """On a hybrid fitted `with_every_part`: the weights and scaling (of `scalings`)
        whose blend ranks `truth` (rows x items, True = relevant) best, and its nDCG@10."""
        pick = _sample(len(rows), truth.shape[1])
        rows, truth = rows[pick], truth[pick]
        own = self.data.matrix[rows]
        seen = own.toarray() > 0 if exclude_seen else None
        raw = self._raw_parts(rows)  # each part scored once, then put on each scale
        found = {s: search_weights(self._rescaled_parts(raw, own, s), truth, seen=seen)
                 for s in scalings}
        scaling = max(scalings, key=lambda s: found[s][1])  # the first on a tie
        weights, best = found[scaling]
        return weights, scaling, best

    def _tuned_weights(self, data: Interactions) -> tuple[dict[str, float], Scaling]:
        """Weights and scaling chosen on a fifth of each user's items held out of `data`
        (kept unchanged when too little data is left to hold any out)."""
        fit_matrix, truth = _holdout(data.matrix, share=HOLDOUT_SHARE)
        rows = np.flatnonzero(truth.getnnz(axis=1))
        rows = rows[_sample(len(rows), data.shape[1])]
        if not len(rows) or not fit_matrix.nnz:
            return self.weights, self.scaling
        probe = self.with_every_part()
        probe.fit(data.replace(matrix=fit_matrix))
        relevant = truth[rows]
        # seen items are masked unless the data repeats itself (then repeats are the test)
        repeats = relevant.multiply(fit_matrix[rows] > 0).nnz / max(relevant.nnz, 1)
        weights, scaling, self.blend_validation = probe.searched_weights(
            rows, relevant.toarray() > 0, exclude_seen=repeats < REPEATS_SHARE)
        return weights, scaling

    def _blend(self, parts: dict[str, np.ndarray], own: sp.csr_matrix | None) -> np.ndarray:
        """The weighted sum of the scaled parts; `own` (rows x items) holds each row's own
        items, left out of the standardisation's statistics (None: every item counts)."""
        total = np.zeros_like(next(iter(parts.values())), dtype=np.float64)
        for key in sorted(parts):  # one order, whatever order the parts were loaded in
            total += self.weights.get(key, 0.0) * _rescaled(parts[key], own, self.scaling)
        return total

    def _popular(self, n_rows: int) -> np.ndarray:
        return np.tile(self.popularity_scores(), (n_rows, 1))

    def _score_users(self, rows: np.ndarray) -> np.ndarray:
        parts = {k: m._score_users(rows) for k, m in self.components.items()}
        own = self._row(int(rows[0])) if len(rows) == 1 else self.data.matrix[rows]
        return self._blend({**parts, "popularity": self._popular(len(rows))}, own)

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        parts = {k: m._score_history(history) for k, m in self.components.items()}
        return self._blend({**parts, "popularity": self._popular(history.shape[0])}, history)

    def _similar(self, col: int) -> np.ndarray:
        parts = {k: m._similar(col)[None, :] for k, m in self.components.items()}
        return self._blend(parts, None)[0]

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


def _sample(n_rows: int, n_items: int) -> np.ndarray:
    """Positions of the rows kept under MAX_VALIDATION_CELLS (all of them when they fit)."""
    limit = max(1, MAX_VALIDATION_CELLS // max(n_items, 1))
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(42).choice(n_rows, limit, replace=False))


def _holdout(matrix: sp.csr_matrix, *, share: float,
             seed: int = 42) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hold out about `share` of the interactions of every user with three or more items:
    an entry of weight w counts as round(w) repeats, each held out with probability `share`
    (an item bought again lands in both parts, as a repeat purchase does in time). The rest,
    and the held-out entries (both the shape of `matrix`)."""
    coo = matrix.tocoo()
    rng = np.random.default_rng(seed)
    units = np.maximum(np.rint(coo.data), 1).astype(np.int64)
    enough = np.diff(matrix.indptr)[coo.row] >= 3
    held = np.where(enough, rng.binomial(units, share), 0)
    kept = coo.data * (units - held) / units

    def part(values: np.ndarray, mask: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix((values[mask], (coo.row[mask], coo.col[mask])), shape=matrix.shape)

    return part(kept, kept > 0), part(held.astype(np.float32), held > 0)


def _rescaled(scores: np.ndarray, own: sp.csr_matrix | None, scaling: Scaling) -> np.ndarray:
    """`scores` on the blend's scale: min-max per row, or standardised per row over the
    items not in that row of `own` (what a user's list is ranked from; non-finite entries
    become 0)."""
    if scaling == "minmax":
        return _scaled(scores)
    values = np.asarray(scores, dtype=np.float64)
    if not np.isfinite(values).all():
        values = np.where(np.isfinite(values), values, np.nan)
        ranked = values.copy()
        if own is not None and own.nnz:
            coo = own.tocoo()
            ranked[coo.row, coo.col] = np.nan
        mean = np.nan_to_num(np.nanmean(ranked, axis=1, keepdims=True))
        spread = np.nanstd(ranked, axis=1, keepdims=True)
    else:  # the usual case, without NaN copies: the row's sums less its own items'
        rows = values.shape[0]
        count = np.full(rows, float(values.shape[1]))
        total, squares = values.sum(axis=1), np.einsum("ij,ij->i", values, values)
        if own is not None and own.nnz:
            coo = own.tocoo()
            mine = values[coo.row, coo.col]
            count -= np.bincount(coo.row, minlength=rows)
            total -= np.bincount(coo.row, weights=mine, minlength=rows)
            squares -= np.bincount(coo.row, weights=mine * mine, minlength=rows)
        left = np.maximum(count, 1.0)
        mean = (total / left)[:, None]
        spread = np.sqrt(np.maximum(squares / left - mean[:, 0] ** 2, 0.0))[:, None]
    spread = np.where(np.isfinite(spread) & (spread > 1e-12), spread, 1.0)
    return np.nan_to_num((values - mean) / spread, nan=0.0)


def _scaled(scores: np.ndarray) -> np.ndarray:
    """Min-max scale each row to [0, 1] (non-finite entries become 0)."""
    values = np.where(np.isfinite(scores), scores, np.nan)
    low = np.nanmin(values, axis=1, keepdims=True)
    span = np.nanmax(values, axis=1, keepdims=True) - low
    scaled = (values - low) / np.where(span > 0, span, 1.0)
    return np.nan_to_num(scaled, nan=0.0)
