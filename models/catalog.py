"""Every model by name: the single models of `models.components` and the hybrid over them."""

from __future__ import annotations

from models.components import COMPONENTS
from models.hybrid import HybridRecommender

CATALOG = COMPONENTS.extended(classes=(HybridRecommender,),
                              presets={"hybrid": lambda: HybridRecommender()})

model_class = CATALOG.model_class
build = CATALOG.build
load = CATALOG.load
