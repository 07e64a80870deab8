"""MovieLens 100K: every rating in `u.data` becomes a `review_posted` on `product:ml-<movie>`.

A rating is a user's review of an item with a 1-5 score and no text, which is exactly what
`review_posted` says; nothing is invented (no views, plays or purchases that the data does not
record). Users are `ml-<user>`, movies `ml-<movie>`. `u.item`, when present, is only used to
check that every rated movie exists in the catalogue (see docs/replay.md for why titles and
genres are not emitted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from launch.replay.source import ReplayEvent, by_time, event_id


def movie_ids(path: Path) -> set[str] | None:
    """Movie ids of `u.item` (pipe-separated, Latin-1), or None when the file is absent."""
    item = path / "u.item"
    if not item.exists():
        return None
    with item.open(encoding="latin-1") as f:
        return {line.split("|", 1)[0] for line in f if line.strip()}


def load(path: Path) -> list[ReplayEvent]:
    """`path`: the ml-100k folder. Ratings as `review_posted` events, by time."""
    known = movie_ids(path)
    events: list[ReplayEvent] = []
    with (path / "u.data").open() as f:
        for line in f:
            if not line.strip():
                continue
            user, movie, rating, ts = line.split()
            if known is not None and movie not in known:
                raise ValueError(f"u.data rates movie {movie}, which u.item does not list")
            events.append({
                "event_id": event_id("movielens", "rating", user, movie),
                "event_type": "review_posted",
                "occurred_at": datetime.fromtimestamp(int(ts), UTC),
                "user_id": f"ml-{user}",
                "session_id": None,
                "product_id": f"ml-{movie}",
                "rating": int(rating),
                "text": "",
            })
    return by_time(events)
