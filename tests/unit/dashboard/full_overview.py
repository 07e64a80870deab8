"""A complete raw overview in the shape of `features.analytics.read_overview`, for tests."""

from __future__ import annotations

from typing import Any


def fig(value: float, previous: float) -> dict[str, float]:
    return {"value": value, "previous": previous}


def full_raw_overview(*, n: int = 1) -> dict[str, Any]:
    """`n` moves the figures, as successive reads of a live stream would."""
    return {
        "as_of": 0.0,
        "windows": {"rate_minutes": 1, "ratio_minutes": 15},
        "events_per_s": {
            "commerce": fig(10 + n, 8),
            "community": fig(4, 5),
            "podcast": fig(2, 2),
            "total": fig(16 + n, 15),
        },
        "orders_per_min": fig(n, 1),
        "gmv_per_min": fig(250.5, 200),
        "aov": fig(50.1, 50),
        "payment_failure_rate": fig(0.02, 0.01),
        "active_users": {"1m": fig(10, 9), "5m": fig(42, 40), "60m": fig(300, 280)},
        "funnel": {
            "sessions": {
                "view": fig(100, 90),
                "cart": fig(30, 20),
                "checkout": fig(10, 9),
                "purchase": fig(4, 3),
            },
            "view_to_purchase": fig(0.04, 0.033),
        },
        "cart_abandonment": fig(0.87, 0.85),
        "podcast": {"plays_per_min": fig(5, 4), "listen_through_rate": fig(0.61, 0.58)},
        "moderation_queue": {
            "size": 3,
            "items": [{"target_id": "post:p1", "reason": "reports"}],
            "flags_per_min": fig(1, 0),
        },
        "low_stock": {
            "count": 1,
            "items": [
                {
                    "product_id": "P1",
                    "on_hand": 2,
                    "threshold": 5.0,
                    "alerted_at": 0.0,
                    "acknowledged": False,
                }
            ],
        },
        "dead_letters": {"per_min": fig(1, 0), "total": 9},
        "ctr": [
            {
                "model": "ease",
                "variant": "champion",
                "served": fig(100, 90),
                "clicks": fig(7, 4),
                "ctr": fig(0.07, 0.044),
            }
        ],
        "trending": {"commerce": [{"item_id": "product:1", "score": 9}]},
    }
