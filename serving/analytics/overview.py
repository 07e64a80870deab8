"""The dashboard's overview: one stable JSON shape from the stream agents' reader.

A figure is `{"value": number, "previous": number | null, "period_s": seconds}`: its value over
the current window and over the window before it, so the page can show the change. Rates use
one minute; ratios (funnel, listen-through, CTR, AOV) the reader's longer window. A figure the
reader does not provide is listed in `missing`, never shown as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

FUNNEL_STAGES = ("view", "cart", "checkout", "purchase")
SECTIONS = (
    "events_per_s",
    "orders_per_min",
    "gmv_per_min",
    "active_users",
    "funnel",
    "trending",
    "low_stock",
    "moderation_queue",
    "listen_through",
    "dead_letters",
    "ctr",
)

Figure = dict[str, float | None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def figure(raw: Any, period_s: float | None = None) -> Figure | None:
    """`{"value", "previous", "period_s"}` from a mapping with those keys, or a bare number."""
    if isinstance(raw, Mapping):
        value, previous = _number(raw.get("value")), _number(raw.get("previous"))
    else:
        value, previous = _number(raw), None
    if value is None:
        return None
    return {"value": value, "previous": previous, "period_s": period_s}


def _get(raw: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(raw, Mapping):
            return None
        raw = raw.get(key)
    return raw


def _figures(raw: Any, keys: tuple[str, ...], period_s: float) -> dict[str, Figure] | None:
    if not isinstance(raw, Mapping):
        return None
    out = {key: fig for key in keys if (fig := figure(raw.get(key), period_s)) is not None}
    return out or None


def _rows(raw: Any) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        return None
    return [dict(row) for row in raw if isinstance(row, Mapping)]


def _trending(raw: Any) -> dict[str, list[dict[str, Any]]] | None:
    if not isinstance(raw, Mapping):
        return None
    return {
        str(domain): [
            {"item_id": str(r["item_id"]), "score": _number(r.get("score")) or 0.0}
            for r in rows
            if isinstance(r, Mapping) and "item_id" in r
        ]
        for domain, rows in raw.items()
        if isinstance(rows, list)
    } or None


def _ctr(raw: Any, period_s: float) -> list[dict[str, Any]] | None:
    rows = _rows(raw)
    if rows is None:
        return None
    return [
        {
            "model": str(r.get("model", "?")),
            "variant": str(r.get("variant", "?")),
            "impressions": _get(r, "served", "value"),
            "clicks": _get(r, "clicks", "value"),
            "ctr": figure(r.get("ctr"), period_s),
        }
        for r in rows
    ]


def normalize(raw: Mapping[str, Any], *, now: float) -> dict[str, Any]:
    """The page's shape from `read_overview`'s; absent or unreadable figures go to `missing`."""
    rate_s = 60.0 * (_number(_get(raw, "windows", "rate_minutes")) or 1.0)
    ratio_s = 60.0 * (_number(_get(raw, "windows", "ratio_minutes")) or 15.0)
    rates = raw.get("events_per_s")
    domains = tuple(str(d) for d in rates if d != "total") if isinstance(rates, Mapping) else ()
    queue_size = _number(_get(raw, "moderation_queue", "size"))
    out: dict[str, Any] = {
        "as_of": datetime.fromtimestamp(now, UTC).isoformat(),
        "period_s": rate_s,
        "events_per_s": _figures(rates, domains, rate_s),
        "orders_per_min": figure(raw.get("orders_per_min"), rate_s),
        "gmv_per_min": figure(raw.get("gmv_per_min"), rate_s),
        "aov": figure(raw.get("aov"), ratio_s),
        "payment_failure_rate": figure(raw.get("payment_failure_rate"), ratio_s),
        "active_users": figure(_get(raw, "active_users", "5m"), 300.0),
        "active_users_windows": _figures(raw.get("active_users"), ("1m", "5m", "60m"), 0.0),
        "funnel": _figures(_get(raw, "funnel", "sessions"), FUNNEL_STAGES, ratio_s),
        "funnel_conversion": _figures(raw.get("funnel"), ("view_to_purchase",), ratio_s),
        "cart_abandonment": figure(raw.get("cart_abandonment"), ratio_s),
        "trending": _trending(raw.get("trending")),
        "low_stock": _rows(_get(raw, "low_stock", "items")),
        "moderation_queue": None
        if queue_size is None
        else {"value": queue_size, "previous": None, "period_s": None},
        "moderation_flags_per_min": figure(_get(raw, "moderation_queue", "flags_per_min"), rate_s),
        "moderation_items": _rows(_get(raw, "moderation_queue", "items")),
        "listen_through": figure(_get(raw, "podcast", "listen_through_rate"), ratio_s),
        "dead_letters": figure(_get(raw, "dead_letters", "per_min"), rate_s),
        "dead_letters_total": _number(_get(raw, "dead_letters", "total")),
        "ctr": _ctr(raw.get("ctr"), ratio_s),
    }
    out["missing"] = [name for name in SECTIONS if out.get(name) is None]
    return out
