"""EASE keeps its item-item weights row-major: scoring a user reads rows of B, and a sparse
product with a column-major B would copy all of it on every call."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

from models.ease import EASERecommender
from models.interactions import Interactions


def test_the_weights_are_row_major_after_fit_and_load(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    matrix = sp.random(40, 30, density=0.2, format="csr", dtype=np.float32, random_state=rng)
    data = Interactions(matrix=matrix, user_ids=np.asarray([f"u{n}" for n in range(40)],
                                                           dtype=object),
                        item_ids=np.asarray([f"i{n}" for n in range(30)], dtype=object))
    model = EASERecommender(l2=5.0).fit(data)
    assert model._b.flags.c_contiguous
    loaded = EASERecommender.load(model.save(tmp_path / "ease"))
    assert loaded._b.flags.c_contiguous
    np.testing.assert_array_equal(loaded._b, model._b)
    assert [s.item_id for s in loaded.recommend("u1", k=5)] == [
        s.item_id for s in model.recommend("u1", k=5)]
