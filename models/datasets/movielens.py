"""MovieLens 100K `u.data`: user, item, rating, timestamp, tab-separated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def load_movielens(path: str | Path) -> pd.DataFrame:
    """Ratings in file order with columns user_id, item_id, rating, timestamp (UTC).

    Reads MovieLens 100K `u.data` (tab-separated), 1M/10M `ratings.dat` (`::`) and the
    `ratings.csv` of the newer releases (with a header), given the folder or the file.
    """
    root = Path(path)
    if root.is_dir():
        root = next((root / n for n in ("u.data", "ratings.dat", "ratings.csv")
                     if (root / n).exists()), root / "u.data")
    names = ["user_id", "item_id", "rating", "ts"]
    dtypes = {"user_id": str, "item_id": str, "rating": float, "ts": int}
    if root.suffix == ".csv":
        frame = pd.read_csv(root, header=0, names=names, usecols=[0, 1, 2, 3], dtype=dtypes)
    elif root.suffix == ".dat":
        frame = pd.read_csv(root, sep="::", engine="python", names=names, dtype=dtypes)
    else:
        frame = pd.read_csv(root, sep="\t", names=names, dtype=dtypes)
    frame["timestamp"] = pd.to_datetime(frame.pop("ts"), unit="s", utc=True)
    return frame


GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western")


def load_movielens_items(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    """(texts, categories) from `u.item`: title plus genres, first genre as the category.

    Returns empty maps when `u.item` is not next to `u.data`.
    """
    root = Path(path)
    file = (root if root.is_dir() else root.parent) / "u.item"
    if not file.exists():
        return {}, {}
    frame = pd.read_csv(file, sep="|", header=None, encoding="latin-1", dtype=str)
    texts, categories = {}, {}
    for row in frame.itertuples(index=False):
        flags = [GENRES[i] for i, v in enumerate(row[5:5 + len(GENRES)]) if v == "1"]
        item = str(row[0])
        texts[item] = " ".join([str(row[1]), *flags])
        categories[item] = flags[0] if flags else "unknown"
    return texts, categories
