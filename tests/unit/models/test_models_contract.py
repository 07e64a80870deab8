"""Every model in the catalog runs the same contract."""

from __future__ import annotations

from models.base import Recommender
from models.content import ContentRecommender
from models.ease import EASERecommender
from models.factorization import ALSRecommender, BPRRecommender
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
