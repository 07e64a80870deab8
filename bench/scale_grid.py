"""The grid bench.scale measures: the points (sizes along three axes from a base of 1M
interactions, 10k items, 100k users) and the families fitted at each one.
"""

from __future__ import annotations

from dataclasses import dataclass

RAW_ALS = "raw_implicit_als"
LAKE = "lake_training_set"


@dataclass(frozen=True, kw_only=True)
class Point:
    interactions: int  # events generated (the matrix holds fewer: repeats sum per pair)
    items: int
    users: int

    @property
    def key(self) -> str:
        return f"{self.interactions}x{self.items}x{self.users}"


M, K = 1_000_000, 1_000
SMALL = (Point(interactions=1 * M, items=10 * K, users=100 * K),
         Point(interactions=5 * M, items=10 * K, users=100 * K),
         Point(interactions=1 * M, items=200 * K, users=100 * K))
# the full grid's extra points, cheapest first: a run stopped early still has the most axes
FULL = (*SMALL,
        Point(interactions=1 * M, items=50 * K, users=100 * K),
        Point(interactions=5 * M, items=10 * K, users=1000 * K),
        Point(interactions=5 * M, items=50 * K, users=100 * K),
        Point(interactions=5 * M, items=200 * K, users=100 * K),
        Point(interactions=20 * M, items=200 * K, users=1000 * K),
        Point(interactions=20 * M, items=10 * K, users=100 * K))
POINTS = {"small": SMALL, "full": FULL}


def families() -> list[str]:
    from models.catalog import CATALOG

    return [*CATALOG.presets, RAW_ALS]
