"""What fitting a model costs at a size, so nothing is chosen that cannot fit.

`Size` is what the cost depends on: users, items, stored interactions and co-occurring pairs
(the sum over users of their item count squared, what an item-item Gram matrix X'X costs).
`estimate` gives a model's peak fit memory and seconds on this machine from the growth
measured by `python -m bench.scale` (docs/benchmarks.md, "Cost curves"): EASE is dense in the
items (its float64 Gram matrix and inverse, O(items^2) memory, O(items^3) time), item-kNN
grows with the pairs (faster than linear in interactions once users are heavier: measured
exponents 1.9 to 2.3 and 1.4 to 2.1 in two runs), the factor models and popularity at most
linearly in interactions.

`Budget.refusal` says why a family must not be picked by default at a size: its estimated
memory or seconds above the budget, or its time growing faster than linear in interactions
beyond `linear_above` interactions. The trainer (models/trainer.py) skips those, logs it and
picks the best of the rest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.base import Recommender
from models.catalog import build
from models.interactions import Interactions

GB = 1 << 30


@dataclass(frozen=True, kw_only=True)
class Size:
    users: int
    items: int
    interactions: int
    pairs: int  # sum over users of (items of the user) ** 2

    @classmethod
    def of(cls, data: Interactions) -> Size:
        lengths = np.diff(data.matrix.indptr).astype(np.int64)
        return cls(users=data.shape[0], items=data.shape[1], interactions=data.nnz,
                   pairs=int((lengths * lengths).sum()))


@dataclass(frozen=True, kw_only=True)
class Cost:
    memory_bytes: float  # peak over the interaction data already in memory
    seconds: float
    superlinear: bool  # time grows faster than linear in interactions (at fixed items)


def estimate(model: Recommender, size: Size) -> Cost:
    """A fitted-from-measurement estimate of `model`'s fit at `size` (an upper-side guess:
    the bench's slowest point of each family sets the coefficient)."""
    name, params = model.name, model.params
    n, nnz, pairs = float(size.items), float(size.interactions), float(size.pairs)
    if name == "hybrid":
        # every part it fits, one after the other (content always: new items' words), twice
        # when it tunes its blend (the parts on a validation split first)
        parts = [estimate(build(params["cf"], **params["cf_params"]), size),
                 estimate(build("content"), size),
                 *(estimate(build(k, **kw), size) for k, kw in params["also"].items()
                   if params["weights"].get(k, 0.0) > 0)]
        fits = 2.0 if params["tune_blend"] else 1.0
        return Cost(memory_bytes=max(p.memory_bytes for p in parts),
                    seconds=fits * sum(p.seconds for p in parts),
                    superlinear=any(p.superlinear for p in parts))
    if name == "ease":
        # float64 Gram + its inverse in place + B in float64 and its float32 copy, plus the
        # allocator's slack: 2.4 GB measured at 10k items
        # its Gram costs the pairs too, but next to the inverse that is small: 31.5 to 34.9 s
        # at 1M, 31.9 to 57.9 s at 5M interactions (10k items, two runs); it explodes in items
        return Cost(memory_bytes=26.0 * n * n + 24.0 * nnz,
                    seconds=n ** 3 / _EASE_FLOPS + pairs / _PAIRS_PER_S, superlinear=False)
    # measured for item-kNN: time ~ interactions^1.9-2.3 (cosine), ^1.4-2.1 (BM25); RP3beta's
    # walk is the same item-item product over the pairs (declared alike, not measured apart)
    if name in ("item_knn", "rp3beta"):
        return Cost(memory_bytes=_KNN_BYTES_PER_PAIR * min(pairs, n * n) + 40.0 * nnz,
                    seconds=pairs / _KNN_PAIRS_PER_S + n * _KNN_S_PER_ITEM, superlinear=True)
    if name in ("als", "bpr"):
        factors = float(params.get("factors", 64))
        per_step = _ALS_S_PER_NNZ_FACTOR if name == "als" else _BPR_S_PER_NNZ_FACTOR
        return Cost(memory_bytes=40.0 * nnz + 8.0 * factors * (size.users + n),
                    seconds=per_step * nnz * factors * float(params.get("iterations", 15)),
                    superlinear=False)
    if name == "content":
        return Cost(memory_bytes=4_000.0 * n, seconds=n * 1e-4, superlinear=False)
    return Cost(memory_bytes=16.0 * nnz, seconds=nnz * 1e-7, superlinear=False)  # popularity


# coefficients from the cost curves (bench/results/scale.json, 2 cores)
_EASE_FLOPS = 2.5e10  # items^3 per second: the inverse on one BLAS thread (31 s at 10k)
_PAIRS_PER_S = 2.0e8
_KNN_PAIRS_PER_S = 1.0e7
_KNN_S_PER_ITEM = 2e-5
_KNN_BYTES_PER_PAIR = 16.0
_ALS_S_PER_NNZ_FACTOR = 1e-8  # per stored interaction, factor and iteration
_BPR_S_PER_NNZ_FACTOR = 4e-9


@dataclass(frozen=True, kw_only=True)
class Budget:
    memory_bytes: float
    fit_seconds: float = 1_800.0
    linear_above: int = 5_000_000  # interactions past which only linear models are chosen

    @classmethod
    def of_machine(cls, **overrides: Any) -> Budget:
        """Half the machine's physical memory (other processes share it)."""
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2
        return cls(memory_bytes=memory, **overrides)

    def refusal(self, preset: str, size: Size, **params: Any) -> str | None:
        """Why `preset` (with `params` overridden) must not be fitted by default at `size`,
        or None when it fits."""
        cost = estimate(build(preset, **params), size)
        if cost.memory_bytes > self.memory_bytes:
            return (f"needs ~{cost.memory_bytes / GB:.1f} GB at {size.items} items, "
                    f"{size.interactions} interactions (budget {self.memory_bytes / GB:.1f} GB)")
        if cost.seconds > self.fit_seconds:
            return (f"needs ~{cost.seconds:.0f} s to fit at {size.items} items, "
                    f"{size.interactions} interactions (budget {self.fit_seconds:.0f} s)")
        if cost.superlinear and size.interactions > self.linear_above:
            return (f"its fit grows faster than linear in interactions; above "
                    f"{self.linear_above} interactions only linear models are chosen "
                    f"({size.interactions} here)")
        return None


def affordable(families: Iterable[str], size: Size, budget: Budget, *,
               params: Mapping[str, Mapping[str, Any]] | None = None
               ) -> tuple[list[str], dict[str, str]]:
    """The families that may be fitted at `size` (each with its `params`, if any), and why
    each of the others may not."""
    kept, refused = [], {}
    for family in families:
        why = budget.refusal(family, size, **dict((params or {}).get(family, {})))
        if why is None:
            kept.append(family)
        else:
            refused[family] = why
    return kept, refused
