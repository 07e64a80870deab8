"""Small interaction data made in code: users prefer one of a few item clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.interactions import Interactions

TOPICS = ("jazz guitar vinyl", "trail running shoes", "espresso coffee beans",
          "fantasy novel dragons")


def clustered_frame(*, users: int = 60, items: int = 80, per_user: int = 8,
                    seed: int = 0) -> pd.DataFrame:
    """Each user draws most items from their own cluster, a few at random."""
    rng = np.random.default_rng(seed)
    clusters = len(TOPICS)
    rows = []
    for u in range(users):
        own = [i for i in range(items) if i % clusters == u % clusters]
        picks = set(rng.choice(own, size=min(per_user, len(own)), replace=False).tolist())
        picks |= set(rng.choice(items, size=2, replace=False).tolist())
        for i in picks:
            rows.append((f"u{u}", f"product:p{i}", 1.0 + float(rng.integers(0, 3))))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])


def item_side(items: int = 80) -> tuple[dict[str, str], dict[str, str]]:
    texts = {f"product:p{i}": f"{TOPICS[i % len(TOPICS)]} item {i}" for i in range(items)}
    cats = {f"product:p{i}": f"c{i % len(TOPICS)}" for i in range(items)}
    return texts, cats


def clustered_interactions(**kwargs: int) -> Interactions:
    texts, cats = item_side(kwargs.get("items", 80))
    return Interactions.from_frame(clustered_frame(**kwargs), item_categories=cats,
                                   item_texts=texts)
