"""MMR rerank: diversity 0 is today's list, the output is a subset, and what MMR guarantees."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from models.filters import Scored
from serving.recommend.diversity import (
    category_similarity,
    csr_block,
    diversified,
    intra_list_diversity,
    model_similarity,
    pool_size,
    rerank,
)
from serving.recommend.served import ServableModel
from tests.unit.serving.conftest import CATEGORIES, item_ids


@st.composite
def scored_lists(draw: st.DrawFn) -> tuple[list[str], list[float], np.ndarray]:
    """Candidates with scores in the model's (descending) order and a symmetric similarity."""
    n = draw(st.integers(1, 12))
    scores = sorted(draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=n, max_size=n)),
                    reverse=True)
    raw = np.asarray(draw(st.lists(st.floats(0, 1), min_size=n * n, max_size=n * n)))
    sim = raw.reshape(n, n)
    sim = (sim + sim.T) / 2
    np.fill_diagonal(sim, 1.0)
    return [f"i{x}" for x in range(n)], scores, sim


lams = st.floats(0, 1)


def mmr_by_the_book(scores: list[float], sim: np.ndarray, lam: float, k: int) -> list[int]:
    """Carbonell & Goldstein's loop as written: the rerank must pick exactly this."""
    span = max(scores) - min(scores)
    relevance = [(x - min(scores)) / span if span > 0 else 1.0 for x in scores]
    picked: list[int] = []
    for _ in range(min(k, len(scores))):
        left = [i for i in range(len(scores)) if i not in picked]
        value = {i: (1 - lam) * relevance[i]
                 - lam * max([0.0, *(float(sim[p, i]) for p in picked)]) for i in left}
        picked.append(max(left, key=lambda i: (value[i], -i)))
    return picked


@given(scored_lists(), st.sampled_from([0.1, 0.3, 0.5, 0.9, 1.0]), st.integers(0, 15))
def test_the_rerank_picks_what_the_textbook_loop_picks(case, lam, k) -> None:
    items, scores, sim = case
    sim = np.round(sim, 3)  # no near-ties that the two orders of arithmetic could split
    assert rerank(items, scores, sim, lam, k) == mmr_by_the_book(scores, sim, lam, k)


@given(st.integers(1, 40), st.floats(0.01, 0.5), st.data())
def test_the_csr_block_is_scipys_slice(n_items, density, data) -> None:
    matrix = sp.random(n_items, n_items, density=density, format="csr",
                       random_state=data.draw(st.integers(0, 2**32 - 1)))
    cols = np.asarray(data.draw(st.lists(st.integers(0, n_items - 1), unique=True,
                                         max_size=n_items)), dtype=np.int64)
    assert np.array_equal(csr_block(matrix, cols), matrix[cols][:, cols].toarray())


@given(scored_lists(), st.integers(0, 15))
def test_diversity_zero_leaves_the_order_as_it_is(case, k) -> None:
    items, scores, sim = case
    assert rerank(items, scores, sim, 0.0, k) == list(range(min(k, len(items))))


@given(scored_lists(), lams, st.integers(0, 15))
def test_the_output_is_a_permutation_of_a_subset_of_at_most_k(case, lam, k) -> None:
    items, scores, sim = case
    out = rerank(items, scores, sim, lam, k)
    assert len(out) == min(k, len(items))
    assert len(set(out)) == len(out)
    assert set(out) <= set(range(len(items)))


@given(scored_lists(), lams, lams)
@settings(max_examples=300)
def test_a_higher_diversity_never_picks_a_second_item_more_like_the_first(case, a, b) -> None:
    """MMR's guarantee per pick (see serving.recommend.diversity): given the same picks before
    it, the next one is at most as similar to them at a higher diversity. For two items the
    first pick is the same at every diversity, so the list's diversity never goes down."""
    items, scores, sim = case
    low, high = sorted((a, b))
    first_low, *rest_low = rerank(items, scores, sim, low, 2)
    first_high, *rest_high = rerank(items, scores, sim, high, 2)
    assert first_low == first_high == 0
    if rest_low:
        assert sim[0, rest_high[0]] <= sim[0, rest_low[0]] + 1e-12
        assert (intra_list_diversity(sim, [0, *rest_high])
                >= intra_list_diversity(sim, [0, *rest_low]) - 1e-12)


@given(scored_lists())
def test_full_diversity_picks_the_candidate_least_like_the_first(case) -> None:
    items, scores, sim = case
    out = rerank(items, scores, sim, 1.0, 2)
    if len(out) == 2:
        assert sim[0, out[1]] == min(sim[0, j] for j in range(1, len(items)))


@given(scored_lists(), st.sets(st.integers(0, 11)))
def test_a_rotation_penalty_over_one_serves_the_unserved_first(case, served) -> None:
    items, scores, sim = case
    penalty = [1.5 if i in served else 0.0 for i in range(len(items))]
    out = rerank(items, scores, sim, 0.0, len(items), penalty=penalty)
    flags = [i in served for i in out]
    assert flags == sorted(flags)  # every unserved one, then the served
    unserved = [i for i in out if i not in served]
    assert unserved == sorted(unserved)  # in their own order


def test_pool_is_the_list_itself_without_diversity_or_rotation() -> None:
    assert pool_size(10, diversity=0.0, rotation=0.0) == 10
    assert pool_size(10, diversity=0.3, rotation=0.0) == 30
    assert pool_size(100, diversity=0.3, rotation=0.0) == 200
    assert pool_size(5, diversity=0.0, rotation=0.2) == 25


def test_category_similarity_when_the_model_has_none() -> None:
    sim = category_similarity(["a", "b", "c", "d"], {"a": "x", "b": "x", "c": "y"})
    assert sim.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_a_real_model_diversified_mixes_categories(knn_model: ServableModel) -> None:
    """Item-kNN on two categories: the top of a list from audio history is all audio; with
    diversity the other category comes in, and diversity 0 is the model's own list."""
    history = item_ids(CATEGORIES[0])[:5]
    items = knn_model.recommend("nobody", 30, history=history)
    top = [s.item_id for s in items[:10]]
    assert all("audio" in i for i in top)
    assert diversified(knn_model, items, 10, diversity=0.0) == items[:10]
    mixed = diversified(knn_model, items, 10, diversity=0.7)
    assert len(mixed) == 10 and mixed[0] == items[0]
    sim = model_similarity(knn_model, [s.item_id for s in items])
    index = {s.item_id: n for n, s in enumerate(items)}
    assert (intra_list_diversity(sim, [index[s.item_id] for s in mixed])
            > intra_list_diversity(sim, list(range(10))))


def test_rotation_moves_recently_served_items_down(knn_model: ServableModel) -> None:
    items = knn_model.recommend("nobody", 30, history=item_ids(CATEGORIES[0])[:5])
    served = frozenset(s.item_id for s in items[:3])
    out = diversified(knn_model, items, 10, diversity=0.0, rotation=1.5, served=served)
    assert not served & {s.item_id for s in out}
    assert out == [s for s in items if s.item_id not in served][:10]
    assert diversified(knn_model, [Scored("a", 1.0)], 1, diversity=0.0, rotation=0.0,
                       served=frozenset({"a"})) == [Scored("a", 1.0)]
