"""The dashboard's overview: one stable JSON shape, whatever the reader behind it provides.

A figure is `{"value": number, "previous": number | null}`: its value over the current period
and over the period before, so the page can show the change. A figure the reader does not
provide is listed in `missing` instead of being shown as zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from contracts import Domain

FUNNEL_STAGES = ("view", "cart", "checkout", "purchase")
SCALARS = ("orders_per_min", "gmv_per_min", "active_users", "moderation_queue",
           "listen_through", "dead_letters")
SECTIONS = ("events_per_s", *SCALARS, "funnel", "trending", "low_stock", "ctr")

Figure = dict[str, float | None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def figure(raw: Any) -> Figure | None:
    """`{"value", "previous"}` from a mapping with those keys (or `current`), or a bare number."""
    if isinstance(raw, Mapping):
        value = _number(raw.get("value", raw.get("current")))
        if value is None:
            return None
        return {"value": value, "previous": _number(raw.get("previous"))}
    value = _number(raw)
    return None if value is None else {"value": value, "previous": None}


def _figures(raw: Any, keys: tuple[str, ...] | None = None) -> dict[str, Figure] | None:
    if not isinstance(raw, Mapping):
        return None
    names = keys or tuple(str(k) for k in raw)
    out = {name: fig for name in names if (fig := figure(raw.get(name))) is not None}
    return out or None


def _rows(raw: Any) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        return None
    return [dict(row) for row in raw if isinstance(row, Mapping)]


def _trending(raw: Any) -> dict[str, list[dict[str, Any]]] | None:
    if not isinstance(raw, Mapping):
        return None
    out: dict[str, list[dict[str, Any]]] = {}
    for domain in Domain:
        rows = raw.get(domain.value)
        if isinstance(rows, list):
            out[domain.value] = [
                {"item_id": str(r["item_id"]), "score": _number(r.get("score")) or 0.0}
                if isinstance(r, Mapping) else {"item_id": str(r[0]), "score": float(r[1])}
                for r in rows
            ]
    return out or None


def _ctr(raw: Any) -> list[dict[str, Any]] | None:
    rows = _rows(raw)
    if rows is None:
        return None
    out = []
    for row in rows:
        ctr = figure(row.get("ctr"))
        out.append({"model": str(row.get("model", "?")), "variant": str(row.get("variant", "?")),
                    "impressions": _number(row.get("impressions")),
                    "clicks": _number(row.get("clicks")), "ctr": ctr})
    return out


def normalize(raw: Mapping[str, Any], *, now: float) -> dict[str, Any]:
    """The page's shape from a reader's overview; absent or unreadable figures go to `missing`."""
    out: dict[str, Any] = {
        "as_of": datetime.fromtimestamp(now, UTC).isoformat(),
        "period_s": _number(raw.get("period_s")) or 60.0,
        "events_per_s": _figures(raw.get("events_per_s")),
        "funnel": _figures(raw.get("funnel"), FUNNEL_STAGES),
        "trending": _trending(raw.get("trending")),
        "low_stock": _rows(raw.get("low_stock")),
        "ctr": _ctr(raw.get("ctr")),
    }
    for name in SCALARS:
        out[name] = figure(raw.get(name))
    out["missing"] = [name for name in SECTIONS if out.get(name) is None]
    return out


def mark_acknowledged(low_stock: list[dict[str, Any]], acks: Mapping[str, float]) -> None:
    """An alert is acknowledged when its product was acknowledged after it was raised."""
    for alert in low_stock:
        acked_at = acks.get(str(alert.get("product_id")))
        raised_at = _number(alert.get("raised_at")) or 0.0
        alert["acknowledged"] = acked_at is not None and acked_at >= raised_at
