"""Why a model scored an item: the user's history items that contributed most to its score.

Each model that can say it gives a block of per-(history item, target item) contributions from
its own computation (item-kNN's similarities, EASE's weights, factor models' vector cosines);
this module picks the largest positive ones per target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# (history columns, target columns) -> contributions, shape (len(history), len(targets))
Block = Callable[[np.ndarray, np.ndarray], np.ndarray]


def contributions(index: dict[str, int], user_history: Sequence[str], item_ids: Sequence[str],
                  n: int, block: Block) -> dict[str, list[str]]:
    """For each of `item_ids` the model knows, at most `n` history items, largest positive
    contribution first; an item no history item raised maps to []."""
    history = list(dict.fromkeys(h for h in user_history if h in index))
    targets = [i for i in dict.fromkeys(item_ids) if i in index]
    if not history or not targets or n <= 0:
        return {i: [] for i in targets}
    rows = np.asarray([index[h] for h in history], dtype=np.int64)
    cols = np.asarray([index[t] for t in targets], dtype=np.int64)
    values = np.asarray(block(rows, cols), dtype=np.float64)
    best = np.argsort(-values, axis=0, kind="stable")[:n]  # (n, targets), largest first
    positive = np.take_along_axis(values, best, axis=0) > 0
    return {target: [history[h] for h, ok in zip(best[:, t].tolist(), positive[:, t].tolist(),
                                                  strict=True) if ok]
            for t, target in enumerate(targets)}
