"""Models by name: the catalog type, and the catalog of the single models a hybrid composes.

`models.catalog` adds the hybrid on top; the hybrid builds and loads its parts from here,
so no module imports one that imports it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import persistence
from models.base import Recommender
from models.content import ContentRecommender
from models.ease import EASERecommender
from models.errors import UnknownModelError
from models.factorization import ALSRecommender, BPRRecommender
from models.graph import RP3BetaRecommender
from models.knn import ItemKNNRecommender
from models.popularity import PopularityRecommender


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Model classes by their saved name, and named configurations (what `--model` builds)."""

    classes: Mapping[str, type[Recommender]]
    presets: Mapping[str, Callable[[], Recommender]]

    @classmethod
    def of(cls, *, classes: Iterable[type[Recommender]],
           presets: Mapping[str, Callable[[], Recommender]]) -> Catalog:
        return cls(classes={klass.name: klass for klass in classes}, presets=dict(presets))

    def extended(self, *, classes: Iterable[type[Recommender]],
                 presets: Mapping[str, Callable[[], Recommender]]) -> Catalog:
        return Catalog.of(classes=[*self.classes.values(), *classes],
                          presets={**self.presets, **presets})

    def model_class(self, name: str) -> type[Recommender]:
        try:
            return self.classes[name]
        except KeyError:
            raise UnknownModelError(
                f"no model class {name!r}; known: {sorted(self.classes)}") from None

    def build(self, preset: str, **overrides: Any) -> Recommender:
        """A fresh model from a preset name, with constructor params overridden."""
        if preset not in self.presets:
            raise UnknownModelError(f"no model {preset!r}; known: {sorted(self.presets)}")
        model = self.presets[preset]()
        if overrides:
            model = type(model)(**{**model.params, **overrides})
        return model

    def load(self, path: str | Path) -> Recommender:
        """A saved model of whichever class wrote `path`."""
        return self.model_class(persistence.read_meta(path)["name"]).load(path)


# the defaults are tuned for the benchmarks (see docs/models.md)
COMPONENTS = Catalog.of(
    classes=(PopularityRecommender, ItemKNNRecommender, EASERecommender, ALSRecommender,
             BPRRecommender, ContentRecommender, RP3BetaRecommender),
    presets={
        "popularity": lambda: PopularityRecommender(),
        "popularity_category": lambda: PopularityRecommender(by_category=True),
        "item_knn": lambda: ItemKNNRecommender(similarity="cosine", neighbours=20, shrink=10.0),
        "item_knn_bm25": lambda: ItemKNNRecommender(similarity="bm25", neighbours=400),
        "ease": lambda: EASERecommender(l2=500.0),
        "rp3beta": lambda: RP3BetaRecommender(alpha=0.75, beta=0.5, neighbours=100),
        "als": lambda: ALSRecommender(factors=32, regularization=1.0, alpha=1.0),
        "bpr": lambda: BPRRecommender(factors=64, learning_rate=0.002, iterations=200),
        "content": lambda: ContentRecommender(),
    })
