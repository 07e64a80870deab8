from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.activity.logic import activity_writes
from contracts import EVENTS, dump_event, item_of
from features.lake import lake_row, typed_table, write_rows
from features.online import PushRecent, WriteBatch
from models.errors import ModelFitError
from models.training_set import (
    TrainingSetSpec,
    build_training_set,
    features_as_of,
    interaction_rows,
    point_in_time_set,
)
from tests.unit.contracts.test_events import _from_schema as from_schema
from tests.unit.models.lake_data import T0, event, small_lake


def test_nothing_after_the_cutoff_leaks_in(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake")
    cutoff = T0 + timedelta(days=5)
    # A future-only user, item and item text must not appear in a set cut before them.
    write_rows(lake, [event("product_viewed", "late-user", cutoff + timedelta(seconds=1),
                            "product:future", product_id="future", category="cx", price=1.0),
                      event("post_created", "u1", cutoff, "post:late", post_id="late",
                            community_id="c9", title="leaked title", body="", tags=[])])
    ts = build_training_set(lake_path=lake, spec=TrainingSetSpec(cutoff=cutoff))
    assert ts.events["occurred_at"].max() < cutoff
    assert "late-user" not in set(ts.interactions.user_ids)
    assert "product:future" not in set(ts.interactions.item_ids)
    assert "post:late" not in ts.interactions.item_texts
    assert all("leaked" not in t for t in ts.interactions.item_texts.values())
    assert ts.window_end == cutoff
    full = build_training_set(lake_path=lake, spec=TrainingSetSpec())
    assert "late-user" in set(full.interactions.user_ids)


def test_weights_orders_listens_and_decay(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake", days=2)
    spec = TrainingSetSpec(weights={"order_placed": 5.0, "episode_played": 1.0},
                           complete_listen_weight=4.0)
    ts = build_training_set(lake_path=lake, spec=spec)
    orders = ts.events[ts.events["event_type"] == "order_placed"]
    assert set(orders["weight"]) == {5.0}
    assert len(orders) == 2 * 2 * 4  # 2 days x 4 buyers x 2 lines
    plays = ts.events[ts.events["event_type"] == "episode_played"]
    assert set(plays["weight"]) == {1.0, 4.0}  # skips and complete listens
    decayed = build_training_set(lake_path=lake, spec=TrainingSetSpec(
        weights={"order_placed": 5.0}, half_life_days=1.0, cutoff=T0 + timedelta(days=2)))
    assert decayed.events["weight"].max() < 5.0
    assert decayed.events["weight"].min() > 0.0


def test_domains_and_item_metadata(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake", days=3)
    ts = build_training_set(lake_path=lake, spec=TrainingSetSpec(domains=["commerce"]))
    assert all(i.startswith("product:") for i in ts.interactions.item_ids)
    assert ts.interactions.item_categories["product:p1"] == "c1"
    community = build_training_set(lake_path=lake, spec=TrainingSetSpec(domains=["community"]))
    assert "brewing" in community.interactions.item_texts["post:q0"]


def test_empty_window_is_an_error(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake", days=1)
    with pytest.raises(ModelFitError):
        build_training_set(lake_path=lake, spec=TrainingSetSpec(cutoff=T0))


@st.composite
def interactions(draw: st.DrawFn) -> Any:
    """Any valid event of an interaction type, with a user."""
    cls = EVENTS.classes[draw(st.sampled_from(sorted(EVENTS.touch)))]
    schema = cls.model_json_schema()
    fields = draw(from_schema(schema, schema.get("$defs", {})))
    return cls.model_validate({**fields, "user_id": "u1"})


@settings(max_examples=300, deadline=None)
@given(interactions())
def test_the_training_set_and_the_live_history_mean_the_same(event: Any) -> None:
    batch = WriteBatch()
    activity_writes([event], domain=str(EVENTS.domain_of[event.event_type]), batch=batch)
    live = sorted((e["item_id"], e["weight"]) for w in batch.writes
                  if isinstance(w, PushRecent) for e in map(orjson.loads, w.values))
    row = lake_row(orjson.loads(dump_event(event)), item_of(event))
    frame = typed_table(event.event_type, [row]).to_pandas().assign(  # as the lake holds it
        event_type=event.event_type)
    rows = interaction_rows(frame, TrainingSetSpec())
    assert sorted(zip(rows["item_id"], rows["weight"], strict=True)) == live


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 50)),
                min_size=1, max_size=40),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 50)),
                min_size=1, max_size=10))
def test_features_as_of_never_see_the_label_or_after(
        history: list[tuple[int, int, int]], labels: list[tuple[int, int, int]]) -> None:
    def frame(rows: list[tuple[int, int, int]]) -> pd.DataFrame:
        return pd.DataFrame({"user_id": [f"u{u}" for u, _, _ in rows],
                             "item_id": [f"i{i}" for _, i, _ in rows],
                             "occurred_at": [T0 + timedelta(minutes=m) for _, _, m in rows],
                             "weight": [1.0 + m % 3 for _, _, m in rows]})
    hist, asked = frame(history), frame(labels).drop(columns="weight")
    got = features_as_of(asked, hist)
    assert got[["user_id", "item_id", "occurred_at"]].equals(asked)  # the labels' order
    for label, out in zip(asked.itertuples(), got.itertuples(), strict=True):
        before = hist[hist["occurred_at"] < label.occurred_at]  # strictly before the label
        mine = before[before["user_id"] == label.user_id]
        assert out.user_events == len(mine)
        assert out.user_weight == mine["weight"].sum()
        assert out.item_events == (before["item_id"] == label.item_id).sum()
        if len(mine):
            assert out.user_recency_s == (
                label.occurred_at - mine["occurred_at"].max()).total_seconds()
        else:
            assert math.isnan(float(str(out.user_recency_s)))  # no earlier interaction


def test_a_point_in_time_set_from_the_lake(tmp_path: Path) -> None:
    lake = small_lake(tmp_path / "lake", days=3)
    rows = point_in_time_set(lake_path=lake, spec=TrainingSetSpec())
    assert set(rows["event_type"]) == {"order_placed"}
    assert len(rows) == 3 * 4 * 2  # 3 days x 4 buyers x 2 lines
    # On day 0 a buyer's only earlier interaction is that morning's view (5 minutes before;
    # u0 also posted); every later day adds what happened since, never what came after.
    day0 = rows[(rows["occurred_at"] < T0 + timedelta(days=1)) & (rows["user_id"] != "u0")]
    assert set(day0["user_events"]) == {1.0} and set(day0["user_recency_s"]) == {300.0}
    later = rows[rows["occurred_at"] >= T0 + timedelta(days=2)]
    assert later["user_events"].min() > day0["user_events"].max()
