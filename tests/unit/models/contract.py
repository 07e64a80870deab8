"""The contract every recommender passes: one mixin, one subclass per model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.base import Recommender
from models.catalog import load
from models.errors import ModelFitError, NotFittedError
from models.filters import Filters
from models.interactions import Interactions
from tests.unit.models.synthetic import clustered_interactions


class RecommenderContract:
    """Subclasses set `make` to build a fresh, unfitted model."""

    personalised = True
    reads_text = False  # embeds the text of an item it never saw (content models)
    explains = False  # says which history items made an item's score (`explain`)

    def make(self) -> Recommender:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def data(self) -> Interactions:
        return clustered_interactions()

    @pytest.fixture(scope="class")
    def fitted(self, data: Interactions) -> Recommender:
        return self.make().fit(data)

    def test_fit_returns_the_model(self, data: Interactions) -> None:
        model = self.make()
        assert model.fit(data) is model

    def test_use_before_fit_raises(self) -> None:
        with pytest.raises(NotFittedError):
            self.make().recommend("u1", 5)

    def test_empty_data_is_refused(self, data: Interactions) -> None:
        empty = data.replace(matrix=data.matrix.multiply(0).tocsr())
        empty.matrix.eliminate_zeros()
        with pytest.raises(ModelFitError):
            self.make().fit(empty)

    def test_recommend_returns_k_unseen_items_best_first(self, fitted: Recommender,
                                                         data: Interactions) -> None:
        recs = fitted.recommend("u3", k=5)
        row = fitted.user_row("u3")
        assert row is not None
        seen = set(data.item_ids[data.matrix[row].indices])
        assert len(recs) == 5
        assert len({r.item_id for r in recs}) == 5
        assert not {r.item_id for r in recs} & seen
        scores = [r.score for r in recs]
        assert scores == sorted(scores, reverse=True)

    def test_unknown_user_gets_recommendations(self, fitted: Recommender) -> None:
        assert len(fitted.recommend("nobody", k=4)) == 4

    def test_session_history_is_used_and_excluded(self, fitted: Recommender) -> None:
        history = ["product:p0", "product:p4"]
        items = {r.item_id for r in fitted.recommend("nobody", k=6, history=history)}
        assert len(items) == 6
        assert not items & set(history)

    def test_filters_are_honoured(self, fitted: Recommender) -> None:
        allowed = frozenset(f"product:p{i}" for i in range(10))
        recs = fitted.recommend("u2", k=5, filters=Filters(allowed=allowed,
                                                           exclude=frozenset({"product:p1"})))
        assert {r.item_id for r in recs} <= allowed - {"product:p1"}
        cat = fitted.recommend("u2", k=3, filters=Filters(category="c1"))
        assert all(int(r.item_id.removeprefix("product:p")) % 4 == 1 for r in cat)
        assert fitted.recommend("u2", k=3, filters=Filters(domain="podcast")) == []

    def test_similar_items(self, fitted: Recommender) -> None:
        similar = fitted.similar_items("product:p0", k=5)
        assert len(similar) == 5
        assert "product:p0" not in {s.item_id for s in similar}
        assert fitted.similar_items("product:missing") == []

    def test_batch_agrees_with_single(self, fitted: Recommender, data: Interactions) -> None:
        top = fitted.recommend_rows(np.asarray([5]), 5)[0]
        single = [r.item_id for r in fitted.recommend(str(data.user_ids[5]), k=5)]
        assert list(data.item_ids[top]) == single

    def test_save_load_round_trip_without_pickle(self, fitted: Recommender,
                                                 tmp_path: Path) -> None:
        folder = fitted.save(tmp_path / "m")
        loaded = load(folder)
        assert type(loaded) is type(fitted)
        assert loaded.params == fitted.params
        assert loaded.recommend("u7", k=5) == fitted.recommend("u7", k=5)
        assert loaded.similar_items("product:p3", k=3) == fitted.similar_items("product:p3", k=3)
        text = "dragons in a fantasy novel"
        assert loaded.similar_to_text(text, k=3) == fitted.similar_to_text(text, k=3)
        assert not list(folder.rglob("*.pkl"))

    def test_text_of_an_unseen_item_finds_its_topic(self, fitted: Recommender) -> None:
        text = "a new fantasy novel about dragons"
        found = fitted.similar_to_text(text, k=5)
        if not self.reads_text:
            assert found == []
            return
        assert len(found) == 5
        assert all(int(s.item_id.removeprefix("product:p")) % 4 == 3 for s in found)
        first = found[0].item_id
        kept = fitted.similar_to_text(text, k=5, filters=Filters(exclude=frozenset({first})))
        assert first not in {s.item_id for s in kept}
        assert fitted.similar_to_text("quantum chromodynamics", k=5) == []

    def test_learns_the_clusters(self, fitted: Recommender) -> None:
        if not self.personalised:
            pytest.skip("not a personalised model")
        hits = 0
        for u in range(20):
            recs = fitted.recommend(f"u{u}", k=5)
            hits += sum(int(r.item_id.removeprefix("product:p")) % 4 == u % 4 for r in recs)
        assert hits / 100 > 0.5  # chance is 0.25

    def test_explain_names_history_items_of_the_same_cluster(self, fitted: Recommender) -> None:
        explain = getattr(fitted, "explain", None)
        if not self.explains:
            assert explain is None
            return
        assert explain is not None
        history = ["product:p0", "product:p4", "product:p1"]  # clusters 0, 0 and 1
        recs = [r.item_id for r in fitted.recommend("nobody", k=6, history=history)]
        because = explain(history, [*recs, "product:missing"], 2)
        assert set(because) == set(recs)  # an item the model does not know gets no entry
        assert all(len(b) <= 2 and set(b) <= set(history) for b in because.values())
        cluster = {h: int(h.removeprefix("product:p")) % 4 for h in history}
        explained = [(i, b[0]) for i, b in because.items() if b]
        assert len(explained) >= 4
        agree = sum(int(i.removeprefix("product:p")) % 4 == cluster[first]
                    for i, first in explained)
        assert agree / len(explained) > 0.5
        assert explain([], recs, 2) == {i: [] for i in recs}
