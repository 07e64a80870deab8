"""models.cost: the sizes where a family must not be fitted by default."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.catalog import build
from models.cost import GB, Budget, Size, affordable, estimate
from models.interactions import Interactions

MACHINE = Budget(memory_bytes=12 * GB)


def size(*, items: int, interactions: int, users: int = 100_000) -> Size:
    per_user = interactions / users
    return Size(users=users, items=items, interactions=interactions,
                pairs=int(users * per_user ** 2))


def test_ease_is_refused_where_its_dense_matrices_do_not_fit() -> None:
    assert MACHINE.refusal("ease", size(items=10_000, interactions=1_000_000)) is None
    why = MACHINE.refusal("ease", size(items=200_000, interactions=1_000_000))
    assert why is not None and "GB" in why
    assert estimate(build("ease"), size(items=200_000, interactions=0)).memory_bytes > 320 * GB
    # the hybrid composes EASE by default, so it is refused with it
    assert MACHINE.refusal("hybrid", size(items=200_000, interactions=1_000_000)) is not None


def test_only_linear_families_past_linear_above() -> None:
    big = size(items=10_000, interactions=20_000_000, users=1_000_000)
    kept, refused = affordable(["popularity", "als", "item_knn", "item_knn_bm25", "ease"], big,
                               Budget(memory_bytes=1000 * GB, fit_seconds=1e9,
                                      linear_above=5_000_000))
    # EASE explodes in items (guarded by memory and time), not in interactions
    assert kept == ["popularity", "als", "ease"]
    assert set(refused) == {"item_knn", "item_knn_bm25"}
    assert all("faster than linear" in why for why in refused.values())


def test_size_counts_the_pairs_an_item_item_gram_costs() -> None:
    matrix = sp.csr_matrix(np.asarray([[1, 1, 1], [0, 1, 0]], dtype=np.float32))
    data = Interactions(matrix=matrix, user_ids=np.asarray(["a", "b"], dtype=object),
                        item_ids=np.asarray(["x", "y", "z"], dtype=object))
    assert Size.of(data) == Size(users=2, items=3, interactions=4, pairs=9 + 1)


def test_the_hybrid_costs_every_part_it_fits() -> None:
    at = size(items=10_000, interactions=1_000_000)
    hybrid = estimate(build("hybrid"), at)
    parts = [estimate(build(name), at) for name in ("ease", "als", "item_knn_bm25", "content")]
    assert hybrid.seconds >= sum(p.seconds for p in parts) * 0.999
    assert hybrid.superlinear  # its BM25 item-kNN part grows with the pairs
    tuned = estimate(build("hybrid", tune_blend=True), at)
    assert tuned.seconds > hybrid.seconds


def test_rp3beta_declares_the_item_item_cost_of_its_walk() -> None:
    at = size(items=10_000, interactions=1_000_000)
    walk, knn = estimate(build("rp3beta"), at), estimate(build("item_knn"), at)
    assert walk.superlinear and walk.seconds == knn.seconds
    big = size(items=10_000, interactions=20_000_000, users=1_000_000)
    why = Budget(memory_bytes=1000 * GB, fit_seconds=1e9).refusal("rp3beta", big)
    assert why is not None and "faster than linear" in why


def test_a_searched_family_is_costed_with_its_search() -> None:
    at = size(items=10_000, interactions=1_000_000)
    once = estimate(build("hybrid"), at).seconds
    budget = Budget(memory_bytes=1000 * GB, fit_seconds=1.5 * once)
    kept, refused = affordable(["hybrid"], at, budget)
    assert kept == ["hybrid"]
    kept, refused = affordable(["hybrid"], at, budget, params={"hybrid": {"tune_blend": True}})
    assert kept == [] and "to fit" in refused["hybrid"]
