"""Every model by name, with the defaults tuned for the benchmarks (see docs/models.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.base import Recommender
from models.content import ContentRecommender
from models.ease import EASERecommender
from models.errors import UnknownModelError
from models.factorization import ALSRecommender, BPRRecommender
from models.hybrid import HybridRecommender
from models.knn import ItemKNNRecommender
from models.popularity import PopularityRecommender

CLASSES: dict[str, type[Recommender]] = {
    klass.name: klass
    for klass in (PopularityRecommender, ItemKNNRecommender, EASERecommender, ALSRecommender,
                  BPRRecommender, ContentRecommender, HybridRecommender)
}

# Named configurations: what `--model NAME` builds.
PRESETS: dict[str, Callable[[], Recommender]] = {
    "popularity": lambda: PopularityRecommender(),
    "popularity_category": lambda: PopularityRecommender(by_category=True),
    "item_knn": lambda: ItemKNNRecommender(similarity="cosine", neighbours=20, shrink=10.0),
    "item_knn_bm25": lambda: ItemKNNRecommender(similarity="bm25", neighbours=400),
    "ease": lambda: EASERecommender(l2=500.0),
    "als": lambda: ALSRecommender(factors=32, regularization=1.0, alpha=1.0),
    "bpr": lambda: BPRRecommender(factors=64, learning_rate=0.002, iterations=200),
    "content": lambda: ContentRecommender(),
    "hybrid": lambda: HybridRecommender(),
}


def model_class(name: str) -> type[Recommender]:
    try:
        return CLASSES[name]
    except KeyError:
        raise UnknownModelError(f"no model class {name!r}; known: {sorted(CLASSES)}") from None


def build(preset: str, **overrides: Any) -> Recommender:
    """A fresh model from a preset name, with constructor params overridden."""
    if preset not in PRESETS:
        raise UnknownModelError(f"no model {preset!r}; known: {sorted(PRESETS)}")
    model = PRESETS[preset]()
    if overrides:
        model = type(model)(**{**model.params, **overrides})
    return model
