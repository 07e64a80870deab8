"""The overview's stable shape, whatever the reader provides."""

from __future__ import annotations

import math

from serving.analytics.overview import SECTIONS, figure, mark_acknowledged, normalize

NOW = 1_800_000_000.0


def test_a_figure_is_value_and_previous_from_a_mapping_or_a_bare_number() -> None:
    assert figure({"value": 3, "previous": 2}) == {"value": 3.0, "previous": 2.0}
    assert figure({"current": "4.5"}) == {"value": 4.5, "previous": None}
    assert figure(7) == {"value": 7.0, "previous": None}


def test_unreadable_figures_are_absent_not_zero() -> None:
    for raw in (None, "n/a", {"previous": 1}, math.nan, [1, 2]):
        assert figure(raw) is None
    assert figure({"value": 1, "previous": math.inf}) == {"value": 1.0, "previous": None}


def test_an_empty_reader_lists_every_section_as_missing() -> None:
    out = normalize({}, now=NOW)
    assert out["missing"] == list(SECTIONS)
    assert out["as_of"].startswith("2027-01-15T")
    assert out["period_s"] == 60.0


def test_a_full_reader_is_normalized_with_nothing_missing() -> None:
    raw = {
        "period_s": 30,
        "events_per_s": {"commerce": {"value": 10, "previous": 8}, "podcast": 2},
        "orders_per_min": {"value": 5, "previous": 4},
        "gmv_per_min": {"value": 250.5, "previous": 200},
        "active_users": {"value": 42, "previous": 40},
        "moderation_queue": 3,
        "listen_through": {"value": 0.61, "previous": 0.58},
        "dead_letters": {"value": 1, "previous": 0},
        "funnel": {"view": 100, "cart": {"value": 30}, "checkout": 10, "purchase": 4, "x": 1},
        "trending": {"commerce": [{"item_id": "product:1", "score": 9}],
                     "podcast": [["episode:e1", 3.0]], "unknown": []},
        "low_stock": [{"product_id": "P1", "on_hand": 2, "threshold": 5}],
        "ctr": [{"model": "ease", "variant": "champion", "impressions": 100, "clicks": 7,
                 "ctr": {"value": 0.07, "previous": 0.05}}],
    }
    out = normalize(raw, now=NOW)
    assert out["missing"] == []
    assert out["period_s"] == 30.0
    assert out["events_per_s"]["podcast"] == {"value": 2.0, "previous": None}
    assert list(out["funnel"]) == ["view", "cart", "checkout", "purchase"]
    assert out["trending"] == {"commerce": [{"item_id": "product:1", "score": 9.0}],
                               "podcast": [{"item_id": "episode:e1", "score": 3.0}]}
    assert out["ctr"][0]["ctr"] == {"value": 0.07, "previous": 0.05}


def test_an_alert_is_acknowledged_only_by_an_ack_after_it_was_raised() -> None:
    alerts = [{"product_id": "P1", "raised_at": 100.0}, {"product_id": "P2", "raised_at": 100.0},
              {"product_id": "P3"}]
    mark_acknowledged(alerts, {"P1": 150.0, "P2": 50.0})
    assert [a["acknowledged"] for a in alerts] == [True, False, False]
