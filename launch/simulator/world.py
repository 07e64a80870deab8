"""The simulated world: catalog, communities, shows and users, with power-law popularity."""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from dataclasses import dataclass, field

CATEGORIES = ("apparel", "home", "books", "music", "toys", "garden", "kitchen", "outdoor")
WORDS = ("vintage", "organic", "classic", "wireless", "handmade", "mini", "deluxe", "eco",
         "retro", "smart", "travel", "family", "pro", "soft", "bright", "urban")
NOUNS = ("mug", "lamp", "tote", "speaker", "notebook", "candle", "poster", "kettle", "jacket",
         "puzzle", "planter", "headphones", "blanket", "backpack", "teapot", "record")
TOPICS = ("brewing", "hops", "lager", "stout", "tasting", "recipes", "gear", "history")


class Zipf:
    """Draws indexes 0..n-1 with P(i) proportional to 1/(i+1)**s (power-law popularity)."""

    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        self._cum = list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(n)))
        self._total = self._cum[-1]
        self._rng = rng

    def draw(self) -> int:
        return bisect(self._cum, self._rng.random() * self._total)


@dataclass(kw_only=True)
class World:
    rng: random.Random
    n_products: int = 2000
    n_users: int = 20_000
    n_communities: int = 24
    n_shows: int = 60
    episodes_per_show: int = 12
    products: list[tuple[str, str, float]] = field(init=False)  # id, category, price
    episodes: list[tuple[str, str, float]] = field(init=False)  # id, show, duration
    posts: list[str] = field(init=False)
    stock: dict[str, int] = field(default_factory=dict)  # on-hand per product

    def __post_init__(self) -> None:
        r = self.rng
        self.products = [
            (f"P{i:05d}", CATEGORIES[i % len(CATEGORIES)], round(r.lognormvariate(3.0, 0.7), 2))
            for i in range(self.n_products)
        ]
        self.episodes = [
            (f"e{s}-{j}", f"s{s}", float(r.randint(900, 5400)))
            for s in range(self.n_shows) for j in range(self.episodes_per_show)
        ]
        self.posts = [f"p{i}" for i in range(200)]
        self.product_pop = Zipf(self.n_products, 1.1, r)
        self.episode_pop = Zipf(len(self.episodes), 1.0, r)
        self.post_pop = Zipf(len(self.posts), 1.0, r)
        self.user_pop = Zipf(self.n_users, 0.6, r)
        self.community_pop = Zipf(self.n_communities, 0.8, r)

    def product(self) -> tuple[str, str, float]:
        return self.products[self.product_pop.draw()]

    def episode(self) -> tuple[str, str, float]:
        return self.episodes[self.episode_pop.draw()]

    def post(self) -> str:
        # Newer posts sit at the end of the list; the popularity rank favours the newest.
        return self.posts[-1 - min(self.post_pop.draw(), len(self.posts) - 1)]

    def user(self) -> str:
        return f"u{self.user_pop.draw()}"

    def community(self) -> str:
        return f"c{self.community_pop.draw()}"

    def title(self) -> str:
        r = self.rng
        return f"{r.choice(WORDS).title()} {r.choice(TOPICS)} {r.choice(NOUNS)}"
