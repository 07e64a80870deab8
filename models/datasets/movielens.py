"""MovieLens 100K `u.data`: user, item, rating, timestamp, tab-separated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_movielens(path: str | Path) -> pd.DataFrame:
    """Ratings in file order with columns user_id, item_id, rating, timestamp (UTC)."""
    root = Path(path)
    file = root / "u.data" if root.is_dir() else root
    frame = pd.read_csv(file, sep="\t", names=["user_id", "item_id", "rating", "ts"],
                        dtype={"user_id": str, "item_id": str, "rating": float, "ts": int})
    frame["timestamp"] = pd.to_datetime(frame.pop("ts"), unit="s", utc=True)
    return frame
