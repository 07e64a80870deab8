"""Deterministic top-k: best score first, ties broken by the lower item index."""

from __future__ import annotations

import numpy as np

SMALL = 2048


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, best first; equal values keep index order."""
    n = len(values)
    if k <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= SMALL:
        # a stable sort keeps equal values in index order; on a few hundred values it beats
        # a partition's several passes
        return np.argsort(-values, kind="stable")[:k]
    positive = np.flatnonzero(values > 0)
    if k <= len(positive) < n:
        # Sparse scores (neighbourhood models): the top k are all among the positives, and a
        # selection over mostly-equal zeros is several times slower than this one.
        return positive[top_k(values[positive], k)]
    if k >= n:
        idx = np.arange(n)
    else:
        kth = np.partition(values, n - k)[n - k]
        above = np.flatnonzero(values > kth)
        ties = np.flatnonzero(values == kth)[: k - len(above)]
        idx = np.concatenate([above, ties])
    return idx[np.lexsort((idx, -values[idx]))]
