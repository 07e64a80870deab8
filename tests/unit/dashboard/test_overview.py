"""The overview's stable shape, from the stream agents' reader."""

from __future__ import annotations

import math
from pathlib import Path

from features.analytics import read_overview
from features.online import open_store
from serving.analytics.overview import SECTIONS, figure, normalize

from .full_overview import full_raw_overview

NOW = 1_800_000_000.0


def test_a_figure_is_value_previous_and_period() -> None:
    assert figure({"value": 3, "previous": 2}, 60.0) == {
        "value": 3.0,
        "previous": 2.0,
        "period_s": 60.0,
    }
    assert figure(7) == {"value": 7.0, "previous": None, "period_s": None}


def test_unreadable_figures_are_absent_not_zero() -> None:
    for raw in (None, "n/a", {"previous": 1}, math.nan, [1, 2], True):
        assert figure(raw) is None
    shown = figure({"value": 1, "previous": math.inf})
    assert shown is not None and shown["previous"] is None


def test_an_empty_reader_lists_every_section_as_missing() -> None:
    out = normalize({}, now=NOW)
    assert out["missing"] == list(SECTIONS)
    assert out["as_of"].startswith("2027-01-15T")


def test_the_full_reader_is_normalized_with_nothing_missing() -> None:
    out = normalize(full_raw_overview(), now=NOW)
    assert out["missing"] == []
    assert set(out["events_per_s"]) == {"commerce", "community", "podcast"}  # no "total"
    assert out["active_users"] == {"value": 42.0, "previous": 40.0, "period_s": 300.0}
    assert list(out["funnel"]) == ["view", "cart", "checkout", "purchase"]
    assert out["funnel"]["cart"]["period_s"] == 900.0
    assert out["moderation_queue"]["value"] == 3.0
    assert out["dead_letters"]["value"] == 1.0 and out["dead_letters_total"] == 9.0
    assert out["listen_through"]["value"] == 0.61
    assert out["low_stock"][0]["product_id"] == "P1"
    assert out["ctr"] == [
        {
            "model": "ease",
            "variant": "champion",
            "impressions": 100,
            "clicks": 7,
            "ctr": {"value": 0.07, "previous": 0.044, "period_s": 900.0},
        }
    ]


async def test_the_real_reader_on_an_empty_store_normalizes(tmp_path: Path) -> None:
    """Guards the contract with features.analytics: every figure it gives is read."""
    store = open_store(f"sqlite:///{tmp_path / 'online.db'}")
    try:
        out = normalize(await read_overview(store, NOW), now=NOW)
    finally:
        await store.close()
    assert out["missing"] == ["trending"]  # trending is read apart, from features.trending
    assert out["orders_per_min"] == {"value": 0.0, "previous": 0.0, "period_s": 60.0}
    assert out["low_stock"] == [] and out["ctr"] == []
