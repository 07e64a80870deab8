"""Point-in-time-correct training sets from the Parquet lake.

Events strictly before `cutoff` become weighted user x item interactions, each weighed as its
event type declares (`Interaction`, contracts/declaration.py; the worker's live history uses
the same meaning): a purchase counts more than a view, a complete listen more than a skip, a
downvote negative, an order once per line. An optional exponential time decay halves a
weight every `half_life_days` before the cut-off. Item texts and categories come from the
same window, so nothing from after the cut-off leaks into features either.

`features_as_of` joins features to labels as of each label's own time (an as-of join,
`pandas.merge_asof`, strictly before the label): a user's interaction count, weight and
recency and the item's count, as they stood when the label happened, so a model trained on
them never sees what came after the event it learns to predict.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from contracts.declaration import Interaction
from contracts.registry import EVENTS, Registry, Toucher, toucher
from features.lake import read_events, records
from models.errors import ModelFitError
from models.interactions import Interactions
from models.item_metadata import FIELDS, item_categories, item_texts

CHUNK = 65_536  # rows turned into dicts at once: bounds their memory
METADATA_TYPES = ("product_viewed", "post_created", "episode_published", "review_posted")


@dataclass(frozen=True, kw_only=True)
class TrainingSetSpec:
    """What to train on: window, decay and domains; the weights are the declared ones unless
    given (`weights` by event type, and the weights of downvotes and complete listens)."""

    weights: Mapping[str, float] | None = None
    cutoff: datetime | None = None
    start: datetime | None = None
    half_life_days: float | None = None
    domains: Sequence[str] | None = None
    complete_listen_ratio: float | None = None
    complete_listen_weight: float | None = None
    downvote_weight: float | None = None


def weighers(spec: TrainingSetSpec, registry: Registry = EVENTS) -> dict[str, Toucher]:
    """Event type -> its interpretation (`contracts.registry.toucher`): the registry's own,
    with the spec's weights where it gives some."""
    if (spec.weights is None and spec.downvote_weight is None
            and spec.complete_listen_ratio is None and spec.complete_listen_weight is None):
        return dict(registry.touch)
    weights = registry.weights if spec.weights is None else spec.weights
    out: dict[str, Toucher] = {}
    for event_type, weight in weights.items():
        item = registry.item.get(event_type)
        if item is None:
            continue
        declared = registry.interactions.get(event_type)
        meaning = replace(declared, weight=weight) if declared else Interaction(weight=weight)
        if meaning.against is not None and spec.downvote_weight is not None:
            meaning = replace(meaning, against=spec.downvote_weight)
        if (done := meaning.completion) is not None:
            meaning = replace(meaning, completion=replace(
                done,
                share=done.share if spec.complete_listen_ratio is None
                else spec.complete_listen_ratio,
                weight=done.weight if spec.complete_listen_weight is None
                else spec.complete_listen_weight))
        out[event_type] = toucher(item, meaning)
    return out


@dataclass(frozen=True, kw_only=True)
class TrainingSet:
    interactions: Interactions
    events: pd.DataFrame  # one row per interaction: user_id, item_id, event_type, ts, weight
    window_start: datetime | None
    window_end: datetime | None


def build_training_set(*, lake_path: str | Path, spec: TrainingSetSpec,
                       registry: Registry = EVENTS) -> TrainingSet:
    """Read the lake up to `spec.cutoff` (exclusive) and weigh every interaction."""
    weigh = weighers(spec, registry)
    types = sorted(set(weigh) | set(METADATA_TYPES))
    raw = read_events(types, spec.start, spec.cutoff, path=lake_path,
                      columns=lake_columns(weigh, registry), registry=registry)
    events = interaction_rows(raw, spec, registry)  # it keeps only the weighed types
    if events.empty:
        raise ModelFitError(f"no interactions in {lake_path} before {spec.cutoff}")
    # the describing events' own columns only (views are most of the lake: copying their
    # every column doubled the build's memory), and the window; then the lake's frame goes
    meta = raw.loc[raw["event_type"].isin(list(METADATA_TYPES)).to_numpy(),
                   [c for c in dict.fromkeys(("event_type", "item_id", "payload", *FIELDS))
                    if c in raw.columns]]
    first, last = raw["occurred_at"].min(), raw["occurred_at"].max()
    del raw
    summed = events.groupby(["user_id", "item_id"], as_index=False)["weight"].sum()
    summed = summed[summed["weight"] > 0]
    data = Interactions.from_frame(summed, item_categories=item_categories(meta, registry),
                                   item_texts=item_texts(meta, registry))
    return TrainingSet(interactions=data, events=events,
                       window_start=spec.start or first.to_pydatetime(),
                       window_end=spec.cutoff or last.to_pydatetime())


def lake_columns(weigh: Mapping[str, Toucher], registry: Registry = EVENTS) -> list[str]:
    """The lake columns a training set reads: the envelope's user, time and item, and the
    fields the weighed types' declarations name (item, sign, completion) and metadata."""
    named: list[str | None] = ["user_id", "occurred_at", "item_id", "payload"]
    for event_type in weigh:
        ref, meaning = registry.item.get(event_type), registry.interactions.get(event_type)
        if ref is not None:
            named += [ref.each or ref.field, ref.kind_field]
        if meaning is not None:
            named.append(meaning.sign_field)
            if meaning.completion is not None:
                named += [meaning.completion.position, meaning.completion.duration]
    return list(dict.fromkeys(n for n in [*named, *FIELDS] if n is not None))


def interaction_rows(raw: pd.DataFrame, spec: TrainingSetSpec,
                     registry: Registry = EVENTS) -> pd.DataFrame:
    """One weighted (user, item) row per item an event touches (an order: one per line),
    read from the event's fields as its declaration says."""
    weigh = weighers(spec, registry)
    wanted = None if spec.domains is None else set(spec.domains)
    keep = (raw["user_id"].notna() & raw["event_type"].isin(list(weigh))).to_numpy()
    if not keep.all():  # a copy only when rows go: the lake's frame is most of the memory
        raw = raw[keep]
    at = array("q")  # the row each interaction comes from
    items: list[str] = []
    types: list[str] = []
    weights = array("d")
    for first in range(0, len(raw), CHUNK):  # the fields as dicts, a chunk at a time
        for i, fields in enumerate(records(raw.iloc[first:first + CHUNK], registry), first):
            event_type = str(fields["event_type"])
            for item, domain, weight in weigh[event_type](fields):
                if wanted is None or domain in wanted:
                    at.append(i)
                    items.append(item)
                    types.append(event_type)
                    weights.append(weight)
    rows = np.frombuffer(at, dtype=np.int64)
    frame = pd.DataFrame({  # of the lake's columns only the two it needs, not every row's
        "user_id": raw["user_id"].iloc[rows].astype(str).reset_index(drop=True),
        "item_id": items, "event_type": types,
        "occurred_at": raw["occurred_at"].iloc[rows].reset_index(drop=True),
        "weight": np.array(weights, dtype=np.float64)})
    if spec.half_life_days and len(frame):
        end = pd.Timestamp(spec.cutoff or frame["occurred_at"].max())
        end = end.tz_localize(UTC) if end.tzinfo is None else end
        age = (end - frame["occurred_at"]).dt.total_seconds() / 86_400.0
        frame = frame.assign(weight=frame["weight"] * np.power(0.5, age / spec.half_life_days))
    return frame.reset_index(drop=True)


AS_OF_FEATURES = ("user_events", "user_weight", "user_recency_s", "item_events")


def features_as_of(labels: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """`labels` (user_id, item_id, occurred_at, ...) with features as of each label's time.

    `history` is weighted interactions (`interaction_rows`). For each label: the user's
    number of interactions, their summed weight and the seconds since their last one, and
    the item's number of interactions, all from events strictly before the label (a label
    never sees itself or anything after it); 0 (recency: NaN) when there were none."""
    if labels.empty:
        return labels.assign(**{name: pd.Series(dtype="float64") for name in AS_OF_FEATURES})
    hist = history.sort_values("occurred_at", kind="stable")
    users = hist[["user_id", "occurred_at", "weight"]].assign(
        user_events=hist.groupby("user_id").cumcount() + 1,
        user_weight=hist.groupby("user_id")["weight"].cumsum(),
        last_seen=hist["occurred_at"]).drop(columns="weight")
    items = hist[["item_id", "occurred_at"]].assign(
        item_events=hist.groupby("item_id").cumcount() + 1)
    out = labels.reset_index(drop=True).assign(_order=lambda f: range(len(f)))
    out = out.sort_values("occurred_at", kind="stable")
    out = pd.merge_asof(out, users, on="occurred_at", by="user_id",
                        allow_exact_matches=False, direction="backward")
    out = pd.merge_asof(out, items, on="occurred_at", by="item_id",
                        allow_exact_matches=False, direction="backward")
    out["user_recency_s"] = (out["occurred_at"] - out.pop("last_seen")).dt.total_seconds()
    for name in ("user_events", "user_weight", "item_events"):
        out[name] = out[name].fillna(0.0).astype("float64")
    return out.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def point_in_time_set(*, lake_path: str | Path, spec: TrainingSetSpec,
                      label_types: Sequence[str] = ("order_placed",),
                      registry: Registry = EVENTS) -> pd.DataFrame:
    """One row per (label event, item) of `label_types` in the spec's window, with the
    features as of its time (`features_as_of`) from every interaction before it."""
    weigh = weighers(spec, registry)
    raw = read_events(sorted(set(weigh) | set(label_types)), spec.start, spec.cutoff,
                      path=lake_path, columns=lake_columns(weigh, registry), registry=registry)
    history = interaction_rows(raw, spec, registry)
    labels = history[history["event_type"].isin(list(label_types))]
    return features_as_of(labels[["user_id", "item_id", "event_type", "occurred_at"]],
                          history)
