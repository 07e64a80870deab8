"""Point-in-time-correct training sets from the Parquet lake.

Events strictly before `cutoff` become weighted user x item interactions: each event type
has a weight (a purchase counts more than a view), a complete listen more than a skip, a
downvote negative; an optional exponential time decay halves a weight every `half_life_days`
before the cut-off. Item texts and categories come from the same window, so nothing from
after the cut-off leaks into features either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from contracts.items import item_domain
from features.lake import read_events
from models.errors import ModelFitError
from models.interactions import Interactions
from models.item_metadata import item_categories, item_texts

DEFAULT_WEIGHTS: Mapping[str, float] = {
    "product_viewed": 1.0, "cart_item_added": 3.0, "cart_item_removed": -1.0,
    "order_placed": 5.0, "review_posted": 4.0, "post_created": 3.0, "comment_created": 2.0,
    "vote_cast": 1.5, "community_joined": 2.0, "episode_played": 1.0, "show_subscribed": 3.0,
    "show_unsubscribed": -3.0,
}
METADATA_TYPES = ("product_viewed", "post_created", "episode_published", "review_posted")


@dataclass(frozen=True, kw_only=True)
class TrainingSetSpec:
    """What to train on: event weights, window, decay and domains."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    cutoff: datetime | None = None
    start: datetime | None = None
    half_life_days: float | None = None
    domains: Sequence[str] | None = None
    complete_listen_ratio: float = 0.9
    complete_listen_weight: float = 4.0
    downvote_weight: float = -2.0


@dataclass(frozen=True, kw_only=True)
class TrainingSet:
    interactions: Interactions
    events: pd.DataFrame  # one row per interaction: user_id, item_id, event_type, ts, weight
    window_start: datetime | None
    window_end: datetime | None


def build_training_set(*, lake_path: str | Path, spec: TrainingSetSpec) -> TrainingSet:
    """Read the lake up to `spec.cutoff` (exclusive) and weigh every interaction."""
    types = sorted(set(spec.weights) | set(METADATA_TYPES))
    raw = read_events(types, spec.start, spec.cutoff, path=lake_path)
    events = interaction_rows(raw[raw["event_type"].isin(list(spec.weights))], spec)
    if events.empty:
        raise ModelFitError(f"no interactions in {lake_path} before {spec.cutoff}")
    summed = events.groupby(["user_id", "item_id"], as_index=False)["weight"].sum()
    summed = summed[summed["weight"] > 0]
    data = Interactions.from_frame(summed, item_categories=item_categories(raw),
                                   item_texts=item_texts(raw))
    times = raw["occurred_at"]
    return TrainingSet(interactions=data, events=events,
                       window_start=spec.start or (times.min().to_pydatetime() if len(raw)
                                                   else None),
                       window_end=spec.cutoff or (times.max().to_pydatetime() if len(raw)
                                                  else None))


def interaction_rows(raw: pd.DataFrame, spec: TrainingSetSpec) -> pd.DataFrame:
    """One weighted (user, item) row per event; orders expand into one row per line."""
    raw = raw[raw["user_id"].notna()]
    rows: list[tuple[str, str, str, object, float]] = []
    for event in raw.itertuples(index=False):
        base = float(spec.weights.get(str(event.event_type), 0.0))
        for item, weight in _items_of(event, base, spec):
            rows.append((str(event.user_id), item, str(event.event_type), event.occurred_at,
                         weight))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "event_type", "occurred_at",
                                        "weight"])
    if spec.domains is not None:
        wanted = set(spec.domains)
        frame = frame[[item_domain(i) in wanted for i in frame["item_id"]]]
    if spec.half_life_days and len(frame):
        end = pd.Timestamp(spec.cutoff or frame["occurred_at"].max())
        end = end.tz_localize(UTC) if end.tzinfo is None else end
        age = (end - frame["occurred_at"]).dt.total_seconds() / 86_400.0
        frame = frame.assign(weight=frame["weight"] * np.power(0.5, age / spec.half_life_days))
    return frame.reset_index(drop=True)


def _items_of(event: object, base: float,
              spec: TrainingSetSpec) -> list[tuple[str, float]]:
    event_type = getattr(event, "event_type", "")
    item = getattr(event, "item_id", None)
    if event_type == "order_placed":
        lines = orjson.loads(getattr(event, "payload", "{}")).get("lines", [])
        return [(f"product:{line['product_id']}", base) for line in lines]
    if item is None or (isinstance(item, float) and np.isnan(item)):
        return []
    if event_type == "episode_played":
        payload = orjson.loads(getattr(event, "payload", "{}"))
        share = float(payload.get("position_s", 0.0)) / max(float(payload.get("duration_s", 1)),
                                                             1e-9)
        return [(str(item), spec.complete_listen_weight if share >= spec.complete_listen_ratio
                 else base)]
    if event_type == "vote_cast":
        value = orjson.loads(getattr(event, "payload", "{}")).get("value", 1)
        return [(str(item), base if value > 0 else spec.downvote_weight)]
    return [(str(item), base)]


def now_utc() -> datetime:
    return datetime.now(UTC)
