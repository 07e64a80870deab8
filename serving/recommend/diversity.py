"""Diversity and rotation: a scored candidate list reranked by maximal marginal relevance.

MMR (Carbonell & Goldstein, SIGIR 1998) picks, one at a time, the candidate with the best

    (1 - diversity) * relevance - diversity * max similarity to the items already picked
                    - rotation penalty (items this user was served recently)

where relevance is the model's score scaled to [0, 1] over the candidates and similarity is
the model's own item similarity (its `similar_items`: factors, item-kNN, EASE weights, TF-IDF
vectors, the hybrid's blend), scaled so the largest is 1; a model with no similarity among
the candidates is diversified by category (1 for two items of one category, else 0).
`diversity=0` with no penalty returns the candidates' first k in their own order, exactly.

What MMR guarantees, and tests/unit/serving/test_diversity.py checks: each pick, given the
items picked before it, is at most as similar to them at a higher diversity (so the second
item of a list is never more like the first); the intra-list diversity of a whole list is not
monotone in `diversity` for a greedy pick (an early diverse pick can force a later similar
one), which is why the bench measures it (docs/benchmarks.md, "Diversity and rotation").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from features.online import OnlineStore, StoreUnavailable
from features.recommendations import recently_served
from models.filters import Filters, Scored
from serving.recommend.served import ServableModel

# Candidates asked of the model for a diversified list of k: MMR needs others to choose from.
POOL_FACTOR = 3
POOL_EXTRA = 20
POOL_MAX = 200


def pool_size(k: int, *, diversity: float, rotation: float) -> int:
    """How many scored candidates a list of `k` is chosen from."""
    if diversity <= 0 and rotation <= 0:
        return k
    return min(max(POOL_FACTOR * k, k + POOL_EXTRA), max(POOL_MAX, k))


def rerank(candidates: Sequence[str], scores: Sequence[float], similarity: np.ndarray,
           lam: float, k: int, *, penalty: Sequence[float] | None = None) -> list[int]:
    """Positions into `candidates` of the reranked top `k` (see the module doc).

    `similarity` is the candidates' square similarity matrix (its diagonal unused), `lam` the
    diversity in [0, 1], `penalty` a per-candidate amount taken off each candidate's value
    (relevance is in [0, 1], so a penalty over 1 puts the item after every unpenalised one).
    Ties keep the candidates' order.
    """
    n = len(candidates)
    k = max(0, min(k, n))
    lam = min(max(float(lam), 0.0), 1.0)
    if lam == 0.0 and not (penalty is not None and any(p > 0 for p in penalty)):
        return list(range(k))
    relevance = _scaled(np.asarray(scores, dtype=np.float64))
    cost = np.zeros(n) if penalty is None else np.asarray(penalty, dtype=np.float64)
    if lam == 0.0:  # rotation only: a stable sort by penalised relevance
        kept = relevance - cost
        return sorted(range(n), key=lambda i: -kept[i])[:k]
    # value_i = base_i - lam * max(0, max over picked p of sim[p, i]) (similarities are >= 0),
    # kept as a running minimum of each pick's row of `bound`: two numpy calls a pick
    base = (1.0 - lam) * relevance - cost
    bound = base - lam * np.asarray(similarity, dtype=np.float64)
    value = base.copy()
    picked: list[int] = []
    for _ in range(k):
        best = int(value.argmax())  # the first of equal values: the candidates' order
        picked.append(best)
        np.minimum(value, bound[best], out=value)
        value[best] = -np.inf
    return picked


def _scaled(values: np.ndarray) -> np.ndarray:
    if values.size == 0:
        return values
    finite = np.where(np.isfinite(values), values, np.nanmin(values[np.isfinite(values)])
                      if np.isfinite(values).any() else 0.0)
    low, high = float(finite.min()), float(finite.max())
    return (finite - low) / (high - low) if high > low else np.ones_like(finite)


def intra_list_diversity(similarity: np.ndarray, positions: Sequence[int]) -> float:
    """1 - the mean similarity of the list's pairs (0 for a list of fewer than two)."""
    picked = list(positions)
    if len(picked) < 2:
        return 0.0
    sub = np.asarray(similarity, dtype=np.float64)[np.ix_(picked, picked)]
    pairs = len(picked) * (len(picked) - 1)
    return float(1.0 - (sub.sum() - np.trace(sub)) / pairs)


def model_similarity(model: ServableModel, items: Sequence[str]) -> np.ndarray:
    """The items' similarity under the model in service, symmetrised, negatives dropped and
    scaled to a largest value of 1; by category where the model has none among them.

    Read straight from what the model holds where it is known (item factors, item-kNN's
    neighbour matrix, EASE's weights, TF-IDF vectors, a hybrid's components as it weights
    them: one slice of the candidates, well under a millisecond), else through the model's
    `similar_items` restricted to the candidates (one call per candidate)."""
    n = len(items)
    sim = _held_similarity(model, items)
    if sim is None:
        sim = _asked_similarity(model, items)
    sim = _normalised(sim)
    if n and float(sim.max()) > 0:
        return sim
    data = getattr(model, "data", None)
    return category_similarity(items, getattr(data, "item_categories", {}) or {})


def _normalised(sim: np.ndarray) -> np.ndarray:
    sim = np.nan_to_num((np.asarray(sim, dtype=np.float64) + np.asarray(sim).T) / 2)
    np.fill_diagonal(sim, 0.0)
    np.clip(sim, 0.0, None, out=sim)  # unlike is not a reason to pick an item
    top = float(sim.max()) if sim.size else 0.0
    return sim / top if top > 0 else sim


def _held_similarity(model: object, items: Sequence[str]) -> np.ndarray | None:
    index = getattr(model, "_item_index", None)
    if not isinstance(index, dict) or any(i not in index for i in items):
        return None
    cols = np.asarray([index[i] for i in items], dtype=np.int64)
    return _slice(model, cols)


def _slice(model: object, cols: np.ndarray) -> np.ndarray | None:
    components = getattr(model, "components", None)
    if isinstance(components, dict) and components:  # the hybrid: its parts, as it weights
        weights = getattr(model, "weights", {}) or {}
        total = np.zeros((len(cols), len(cols)))
        for key, part in components.items():
            if (sub := _slice(part, cols)) is None:
                return None
            total += float(weights.get(key, 1.0)) * _normalised(sub)
        return total
    factors = getattr(model, "item_factors", None)
    if isinstance(factors, np.ndarray) and factors.ndim == 2 and len(factors):
        v = factors[cols].astype(np.float64)
        v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
        return np.asarray(v @ v.T)
    for name in ("_sim", "_b", "_vectors"):  # item-kNN, EASE, content
        held = getattr(model, name, None)
        if held is None or not getattr(held, "shape", (0,))[0]:
            continue
        if name == "_vectors":
            rows = held[cols]
            out = rows @ rows.T
        elif isinstance(held, sp.csr_matrix):
            return csr_block(held, cols)
        else:
            out = held[np.ix_(cols, cols)]
        return np.asarray(out.toarray() if sp.issparse(out) else out, dtype=np.float64)
    return None


def csr_block(matrix: sp.csr_matrix, cols: np.ndarray) -> np.ndarray:
    """`matrix[cols][:, cols]` as a dense array, read from the CSR arrays directly (a
    tenth of what scipy's two fancy indexes cost for the few dozen candidates of a list)."""
    n = len(cols)
    starts = matrix.indptr[cols]
    lengths = matrix.indptr[cols + 1] - starts
    rows = np.repeat(np.arange(n), lengths)
    # the positions of the rows' entries in `indices` / `data`, row after row
    at = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths),
                                                     lengths)
    position = np.full(matrix.shape[1], -1, dtype=np.int64)
    position[cols] = np.arange(n)
    j = position[matrix.indices[at]]
    keep = j >= 0
    out = np.zeros((n, n))
    out[rows[keep], j[keep]] = matrix.data[at[keep]]
    return out


def _asked_similarity(model: ServableModel, items: Sequence[str]) -> np.ndarray:
    n = len(items)
    index = {item: i for i, item in enumerate(items)}
    sim = np.zeros((n, n))
    allowed = Filters(allowed=frozenset(items), exclude_seen=False)
    for i, item in enumerate(items):
        for s in model.similar_items(item, n, allowed):
            j = index.get(s.item_id)
            if j is not None and j != i and np.isfinite(s.score):
                sim[i, j] = s.score
    return sim


def category_similarity(items: Sequence[str], categories: Mapping[str, str]) -> np.ndarray:
    """1 between two items of one known category, else 0."""
    labels = [categories.get(i) for i in items]
    n = len(items)
    sim = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if labels[i] is not None and labels[i] == labels[j]:
                sim[i, j] = sim[j, i] = 1.0
    return sim


def diversified(model: ServableModel, items: list[Scored], k: int, *, diversity: float,
                rotation: float = 0.0, served: frozenset[str] = frozenset()) -> list[Scored]:
    """The top `k` of a scored list with diversity and a rotation penalty on `served` items
    (the user's recently served); scores are the model's, the order the rerank's."""
    penalty = [rotation if s.item_id in served else 0.0 for s in items] if served else None
    if diversity <= 0 and not (penalty and rotation > 0):
        return items[:k]
    ids = [s.item_id for s in items]
    sim = model_similarity(model, ids) if diversity > 0 else np.zeros((len(ids), len(ids)))
    order = rerank(ids, [s.score for s in items], sim, diversity, k, penalty=penalty)
    return [items[i] for i in order]


class Rotation:
    """The rotation penalty's reads: the items the worker recorded as served to a user within
    `window_s` (`features.recommendations.recently_served`), within the store's budget; none
    when the penalty is off or the store does not answer (the list is then not rotated)."""

    def __init__(self, *, store: OnlineStore | None, penalty: float, window_s: float,
                 timeout_s: float) -> None:
        self.store = store
        self.penalty = penalty
        self.window_s = window_s
        self.timeout_s = timeout_s

    async def served(self, user_id: str) -> frozenset[str]:
        if self.store is None or self.penalty <= 0:
            return frozenset()
        try:
            async with asyncio.timeout(self.timeout_s):
                return await recently_served(self.store, user_id,
                                             since=time.time() - self.window_s)
        except (StoreUnavailable, TimeoutError, OSError):
            return frozenset()


NO_ROTATION = Rotation(store=None, penalty=0.0, window_s=0.0, timeout_s=0.0)
