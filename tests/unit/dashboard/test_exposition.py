"""The overview as Prometheus gauges: every figure, valid exposition format."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from serving.analytics.exposition import render
from serving.analytics.overview import normalize

from .full_overview import full_raw_overview


def full_overview() -> dict:
    out = normalize(full_raw_overview(), now=1_800_000_000.0)
    out["consumer_lag"] = {"topics": {"commerce.events": 7}, "error": None}
    out["ctr"][0]["model"] = "agora@3"  # a model in service keeps its label (else `other`)
    out["models_in_service"] = [
        {"alias": "champion", "name": "agora", "version": "3"},
        {"alias": "challenger", "name": None, "version": None},
    ]
    return out


def test_every_figure_of_the_page_is_a_gauge() -> None:
    text = render(full_overview()).decode()
    for line in (
        'agora_analytics_events_per_second{domain="commerce"} 11.0',
        "agora_analytics_orders_per_minute 1.0",
        "agora_analytics_gmv_per_minute 250.5",
        "agora_analytics_active_users 42.0",
        "agora_analytics_moderation_queue 3.0",
        "agora_analytics_listen_through_ratio 0.61",
        "agora_analytics_dead_letters_per_minute 1.0",
        "agora_analytics_average_order_value 50.1",
        "agora_analytics_payment_failure_ratio 0.02",
        'agora_analytics_funnel{stage="purchase"} 4.0',
        'agora_analytics_low_stock_alerts{state="open"} 1.0',
        'agora_analytics_ctr{model="agora@3",variant="champion"} 0.07',
        'agora_analytics_consumer_lag{topic="commerce.events"} 7.0',
        'agora_analytics_model_in_service{alias="champion",name="agora",version="3"} 1.0',
    ):
        assert line in text, line
    assert 'alias="challenger"' not in text


def test_missing_figures_are_absent_series_not_zeros() -> None:
    text = render(normalize({}, now=0.0)).decode()
    assert "agora_analytics_orders_per_minute " not in text
    assert "agora_analytics_events_per_second{" not in text


def test_promtool_lints_the_exposition() -> None:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    result = subprocess.run(
        [tool, "check", "metrics"],
        input=render(full_overview()),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
