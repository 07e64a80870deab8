"""RP3beta (Paudel et al., 2017; Dacrema et al., 2019's reproducibility study): a random walk
user -> item -> user -> item, each step's transition probabilities raised to `alpha`, and the
landing item's probability divided by its popularity to the power `beta` (so a walk that
ends on a blockbuster counts less). alpha=1, beta=0 is P3alpha's plain three-step walk.

W[j, i] = sum_u P(u | j)^alpha P(i | u)^alpha / pop(i)^beta, kept to its `neighbours`
largest entries per row j, each row then scaled to sum 1; score(u, i) = sum over the user's
items j of W[j, i]. The item-item walk is item-kNN's similarity matrix by another rule, so
scoring, explanations and the save format are item-kNN's (`models.knn`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from models.interactions import Interactions
from models.knn import ItemKNNRecommender, _keep_top, _Padded


class RP3BetaRecommender(ItemKNNRecommender):
    name = "rp3beta"

    def __init__(self, *, alpha: float = 1.0, beta: float = 0.5,
                 neighbours: int = 100) -> None:
        super().__init__(similarity="cosine", neighbours=neighbours)
        self.alpha, self.beta = alpha, beta

    @property
    def params(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta, "neighbours": self.neighbours}

    def _fit(self, data: Interactions) -> None:
        x = (data.matrix > 0).astype(np.float32).tocsr()
        user_to_item = normalize(x, norm="l1", axis=1)  # P(i | u)
        item_to_user = normalize(x.T.tocsr(), norm="l1", axis=1)  # P(u | j)
        if self.alpha != 1.0:
            user_to_item.data **= self.alpha
            item_to_user.data **= self.alpha
        popularity = np.asarray(x.sum(axis=0)).ravel()
        damp = np.where(popularity > 0, np.power(np.maximum(popularity, 1.0), -self.beta), 0.0)
        walk = (item_to_user @ user_to_item).tocsr()
        walk = (walk @ sp.diags(damp.astype(np.float32))).tocsr()
        walk.setdiag(0.0)
        walk.eliminate_zeros()
        sim = normalize(_keep_top(walk, self.neighbours), norm="l1", axis=1)
        self._sim = sim.astype(np.float32).tocsr()
        self._neighbours = _Padded.of(self._sim)
