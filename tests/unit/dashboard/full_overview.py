"""A complete raw overview, as the stream agents' reader returns it, for tests."""

from __future__ import annotations

from typing import Any


def full_raw_overview() -> dict[str, Any]:
    return {
        "period_s": 60,
        "events_per_s": {"commerce": {"value": 10, "previous": 8},
                         "community": {"value": 4, "previous": 5},
                         "podcast": {"value": 2, "previous": 2}},
        "orders_per_min": {"value": 5, "previous": 4},
        "gmv_per_min": {"value": 250.5, "previous": 200},
        "active_users": {"value": 42, "previous": 40},
        "moderation_queue": {"value": 3, "previous": 1},
        "listen_through": {"value": 0.61, "previous": 0.58},
        "dead_letters": {"value": 1, "previous": 0},
        "funnel": {"view": 100, "cart": 30, "checkout": 10, "purchase": 4},
        "trending": {"commerce": [{"item_id": "product:1", "score": 9}]},
        "low_stock": [{"product_id": "P1", "on_hand": 2, "threshold": 5}],
        "ctr": [{"model": "ease", "variant": "champion", "impressions": 100, "clicks": 7,
                 "ctr": {"value": 0.07, "previous": 0.05}}],
    }
