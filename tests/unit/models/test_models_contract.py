"""Every model in the catalog runs the same contract."""

from __future__ import annotations

from models.base import Recommender
from models.content import ContentRecommender
from models.ease import EASERecommender
from models.factorization import ALSRecommender, BPRRecommender
from models.graph import RP3BetaRecommender
from models.hybrid import HybridRecommender
from models.knn import ItemKNNRecommender
from models.popularity import PopularityRecommender
from tests.unit.models.contract import RecommenderContract


class TestPopularity(RecommenderContract):
    personalised = False

    def make(self) -> Recommender:
        return PopularityRecommender()


class TestPopularityPerCategory(RecommenderContract):
    def make(self) -> Recommender:
        return PopularityRecommender(by_category=True)


class TestItemKNNCosine(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return ItemKNNRecommender(similarity="cosine", neighbours=10)


class TestItemKNNBM25(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return ItemKNNRecommender(similarity="bm25", neighbours=10)


class TestRP3Beta(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return RP3BetaRecommender(alpha=0.75, beta=0.5, neighbours=10)


class TestEASE(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return EASERecommender(l2=10.0)


class TestALS(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return ALSRecommender(factors=8, regularization=0.1, iterations=10, threads=1)


class TestBPR(RecommenderContract):
    explains = True
    def make(self) -> Recommender:
        return BPRRecommender(factors=8, learning_rate=0.05, iterations=200, threads=1)


class TestContent(RecommenderContract):
    reads_text = True

    def make(self) -> Recommender:
        return ContentRecommender()


class TestHybrid(RecommenderContract):
    explains = True
    reads_text = True

    def make(self) -> Recommender:
        return HybridRecommender(cf="ease", cf_params={"l2": 10.0})


def test_rp3beta_rows_are_a_walk_damped_by_popularity() -> None:
    """Each kept row sums to 1 and a higher beta moves weight off the popular items."""
    import numpy as np

    from tests.unit.models.synthetic import clustered_interactions

    data = clustered_interactions()
    popular = int(np.argmax(np.asarray((data.matrix > 0).sum(axis=0)).ravel()))
    shares = []
    for beta in (0.0, 0.8):
        model = RP3BetaRecommender(alpha=1.0, beta=beta, neighbours=1000).fit(data)
        rows = np.asarray(model._sim.sum(axis=1)).ravel()
        assert np.allclose(rows[rows > 0], 1.0, atol=1e-5)
        shares.append(float(model._sim[:, popular].sum()))
    assert shares[1] < shares[0]


class TestHybridStandardised(RecommenderContract):
    explains = True
    reads_text = True

    def make(self) -> Recommender:
        return HybridRecommender(cf="ease", cf_params={"l2": 10.0}, scaling="z")
