"""Content-based recommendations: TF-IDF over item titles, descriptions and tags.

Items come from `Interactions.item_texts`, so items nobody has touched yet still have
neighbours. A user's profile is the sum of the TF-IDF vectors of the items they used. The
vocabulary and idf weights are kept with the model, so the text of an item published after
training embeds in the same space (`similar_to_text`).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from models import persistence
from models.base import Recommender
from models.errors import ModelFitError
from models.filters import NO_FILTERS, Filters, Scored
from models.interactions import Interactions


class ContentRecommender(Recommender):
    name = "content"

    def __init__(self, *, max_features: int = 50_000, ngram_max: int = 2, min_df: int = 1,
                 sublinear_tf: bool = True) -> None:
        super().__init__()
        self.max_features, self.ngram_max = max_features, ngram_max
        self.min_df, self.sublinear_tf = min_df, sublinear_tf
        self._vectors = sp.csr_matrix((0, 0), dtype=np.float32)
        self._vectorizer: TfidfVectorizer | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {"max_features": self.max_features, "ngram_max": self.ngram_max,
                "min_df": self.min_df, "sublinear_tf": self.sublinear_tf}

    def fit(self, data: Interactions) -> Self:
        return super().fit(data.with_items(data.item_texts))

    def _fit(self, data: Interactions) -> None:
        texts = [data.item_texts.get(str(i), "") for i in data.item_ids]
        texts = [f"{t} {data.item_categories.get(str(i), '')}".strip()
                 for t, i in zip(texts, data.item_ids, strict=True)]
        if not any(texts):
            raise ModelFitError("content: no item has any text")
        vectorizer = self._new_vectorizer()
        self._vectors = normalize(vectorizer.fit_transform(texts)).tocsr()
        self._vectorizer = vectorizer

    def _new_vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(max_features=self.max_features, min_df=self.min_df,
                               ngram_range=(1, self.ngram_max), vocabulary=vocabulary,
                               sublinear_tf=self.sublinear_tf, dtype=np.float32)

    def similar_to_text(self, text: str, k: int = 10,
                        filters: Filters | None = None) -> list[Scored]:
        if self._vectorizer is None or not text.strip():
            return []
        query = normalize(self._vectorizer.transform([text]))
        scores = np.asarray((self._vectors @ query.T).toarray()).ravel()
        mask = (filters or NO_FILTERS).mask(self.item_ids, self.data.item_categories,
                                            facets=self._facets)
        return self._top(scores, mask & (scores > 0), k)  # no shared word, no neighbour

    def _score_history(self, history: sp.csr_matrix) -> np.ndarray:
        profile = normalize((history > 0).astype(np.float32) @ self._vectors)
        return np.asarray((profile @ self._vectors.T).toarray())

    def _similar(self, col: int) -> np.ndarray:
        return np.asarray((self._vectors @ self._vectors[col].T).toarray()).ravel()

    def _state(self) -> dict[str, np.ndarray]:
        state = persistence.sparse_arrays("vectors", self._vectors)
        if self._vectorizer is not None:
            terms = sorted(self._vectorizer.vocabulary_.items(), key=lambda kv: kv[1])
            state["terms"] = np.asarray([t for t, _ in terms], dtype=object)
            state["idf"] = np.asarray(self._vectorizer.idf_, dtype=np.float64)
        return state

    def _restore(self, arrays: dict[str, np.ndarray]) -> None:
        self._vectors = persistence.sparse_from("vectors", arrays)
        self._vectorizer = None
        if "terms" in arrays:  # models saved before the vocabulary was kept have none
            terms = arrays["terms"].tolist()
            self._vectorizer = self._new_vectorizer({str(t): n for n, t in enumerate(terms)})
            self._vectorizer.idf_ = arrays["idf"]
