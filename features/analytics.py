"""Live analytics for the dashboard and `GET /v1/analytics/overview`.

`read_overview(store, now)` returns a plain, JSON-ready dict. Every figure is
`{"value": v, "previous": p}` where `previous` is the same window one period earlier.
Rates (events/s, orders/min, GMV/min, …) use the last minute; ratios (AOV, payment failures,
funnel, abandonment, listen-through, CTR) the last 15 minutes, which a minute is too noisy
for. Buckets are by event time. Distinct counts are HyperLogLog on Redis (±0.81%), exact on
the embedded store.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from typing import Any

from contracts import EVENTS
from features import kpis as k
from features.buckets import minute_range, slot_range, window_weights
from features.community import moderation_queue, moderation_queue_size
from features.inventory import low_stock_alerts
from features.online import OnlineStore

RATE_MINUTES = 1
RATIO_MINUTES = 15
# The event domains (one source topic and worker context each), as declared in contracts/.
DOMAINS: tuple[str, ...] = tuple(str(d) for d in EVENTS.domains)


def _fig(value: float, previous: float) -> dict[str, float]:
    return {"value": round(value, 6), "previous": round(previous, 6)}


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _sum(rows: dict[int, dict[str, str]], weights: dict[int, float]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for minute, w in weights.items():
        for field, value in rows.get(minute, {}).items():
            out[field] += w * float(value)
    return out


async def _windows(store: OnlineStore, now: float) -> list[dict[str, float]]:
    """Summed minute counters: (rate now, rate before, ratio now, ratio before)."""
    spans = [(now, RATE_MINUTES), (now - 60 * RATE_MINUTES, RATE_MINUTES),
             (now, RATIO_MINUTES), (now - 60 * RATIO_MINUTES, RATIO_MINUTES)]
    weights = [window_weights(end, m, live=end >= now) for end, m in spans]
    minutes = sorted({m for w in weights for m in w})
    rows = dict(zip(minutes, await store.get_many([k.stats_key(m) for m in minutes]),
                    strict=True))
    return [_sum(rows, w) for w in weights]


def _commerce(now_: dict[str, float], before: dict[str, float],
              r_now: dict[str, float], r_before: dict[str, float]) -> dict[str, Any]:
    def aov(s: dict[str, float]) -> float:
        return _ratio(s.get(k.GMV_CENTS, 0) / 100, s.get(k.ORDERS, 0))

    def failure(s: dict[str, float]) -> float:
        return _ratio(s.get(k.PAYMENTS_FAILED, 0),
                      s.get(k.PAYMENTS_FAILED, 0) + s.get(k.PAYMENTS_OK, 0))

    return {
        "orders_per_min": _fig(now_.get(k.ORDERS, 0), before.get(k.ORDERS, 0)),
        "gmv_per_min": _fig(now_.get(k.GMV_CENTS, 0) / 100, before.get(k.GMV_CENTS, 0) / 100),
        "aov": _fig(aov(r_now), aov(r_before)),
        "payment_failure_rate": _fig(failure(r_now), failure(r_before)),
    }


async def _distinct(store: OnlineStore, now: float) -> dict[str, Any]:
    groups: list[list[str]] = [
        [k.active_slot_key(s) for s in slot_range(now, 6)],
        [k.active_slot_key(s) for s in slot_range(now - 60, 6)],
        [k.active_slot_key(s) for s in slot_range(now, 30)],
        [k.active_slot_key(s) for s in slot_range(now - 300, 30)],
        [k.active_minute_key(m) for m in minute_range(now, 60)],
        [k.active_minute_key(m) for m in minute_range(now - 3600, 60)],
    ]
    for end in (now, now - 60 * RATIO_MINUTES):
        groups += [[k.funnel_key(step, m) for m in minute_range(end, RATIO_MINUTES)]
                   for step in k.FUNNEL_STEPS]
    c = await store.count_distinct(groups)
    active = {"1m": _fig(c[0], c[1]), "5m": _fig(c[2], c[3]), "60m": _fig(c[4], c[5])}
    cur = dict(zip(k.FUNNEL_STEPS, c[6:10], strict=True))
    prev = dict(zip(k.FUNNEL_STEPS, c[10:14], strict=True))
    funnel: dict[str, Any] = {"sessions": {s: _fig(cur[s], prev[s]) for s in k.FUNNEL_STEPS}}
    steps = k.FUNNEL_STEPS
    for a, b in [*pairwise(steps), ("view", "purchase")]:
        funnel[f"{a}_to_{b}"] = _fig(_ratio(cur[b], cur[a]), _ratio(prev[b], prev[a]))
    abandonment = _fig(1 - _ratio(cur["purchase"], cur["cart"]) if cur["cart"] else 0.0,
                       1 - _ratio(prev["purchase"], prev["cart"]) if prev["cart"] else 0.0)
    return {"active_users": active, "funnel": funnel, "cart_abandonment": abandonment}


def _ctr(r_now: dict[str, float], r_before: dict[str, float]) -> list[dict[str, Any]]:
    variants = sorted({tuple(f.split("|")[2:4]) for s in (r_now, r_before) for f in s
                       if f.startswith("rec|")})
    out = []
    for model, variant in variants:
        def get(s: dict[str, float], metric: str, m: str = model, v: str = variant) -> float:
            return s.get(k.rec_field(metric, m, v), 0.0)

        out.append({
            "model": model, "variant": variant,
            "served": _fig(get(r_now, "served"), get(r_before, "served")),
            "clicks": _fig(get(r_now, "clicks"), get(r_before, "clicks")),
            "ctr": _fig(_ratio(get(r_now, "clicks"), get(r_now, "served")),
                        _ratio(get(r_before, "clicks"), get(r_before, "served"))),
            "item_ctr": _fig(_ratio(get(r_now, "clicks"), get(r_now, "impressions")),
                             _ratio(get(r_before, "clicks"), get(r_before, "impressions"))),
        })
    return out


async def read_overview(store: OnlineStore, now: float) -> dict[str, Any]:
    """Every live figure of the dashboard with its previous-period value (see module doc)."""
    r1, r0, q1, q0 = await _windows(store, now)
    per_s = {d: _fig(r1.get(k.events_field(d), 0) / 60, r0.get(k.events_field(d), 0) / 60)
             for d in DOMAINS}
    per_s["total"] = _fig(sum(v["value"] for v in per_s.values()),
                          sum(v["previous"] for v in per_s.values()))
    totals = await store.get_fields(k.TOTALS_KEY)
    alerts = await low_stock_alerts(store, 20)
    queue = await moderation_queue(store, 20)
    listen = _fig(_ratio(q1.get(k.COMPLETIONS, 0), q1.get(k.PLAYS, 0)),
                  _ratio(q0.get(k.COMPLETIONS, 0), q0.get(k.PLAYS, 0)))
    return {
        "as_of": now,
        "windows": {"rate_minutes": RATE_MINUTES, "ratio_minutes": RATIO_MINUTES},
        "events_per_s": per_s,
        **_commerce(r1, r0, q1, q0),
        **await _distinct(store, now),
        "podcast": {
            "plays_per_min": _fig(r1.get(k.PLAYS, 0), r0.get(k.PLAYS, 0)),
            "listen_through_rate": listen,
            "subscriptions_per_min": _fig(r1.get(k.SUBSCRIPTIONS, 0), r0.get(k.SUBSCRIPTIONS, 0)),
        },
        "community": {f"{m}_per_min": _fig(r1.get(m, 0), r0.get(m, 0))
                      for m in (k.POSTS, k.COMMENTS, k.VOTES, k.REPORTS, k.JOINS)},
        "moderation_queue": {
            "size": await moderation_queue_size(store),
            "items": [{"target_id": f.target_id, "flagged_at": f.flagged_at,
                       "reason": f.reason, "detail": f.detail} for f in queue],
            "flags_per_min": _fig(r1.get(k.FLAGS, 0), r0.get(k.FLAGS, 0)),
        },
        "low_stock": {
            "count": len(alerts),
            "items": [{"product_id": a.product_id, "on_hand": a.on_hand,
                       "threshold": a.threshold, "alerted_at": a.alerted_at,
                       "acknowledged": a.acknowledged} for a in alerts],
        },
        "dead_letters": {"per_min": _fig(r1.get(k.DEAD_LETTERS, 0), r0.get(k.DEAD_LETTERS, 0)),
                         "total": int(float(totals.get(k.DEAD_LETTERS, 0)))},
        "ctr": _ctr(q1, q0),
        "totals": {"orders": int(float(totals.get(k.ORDERS, 0))),
                   "gmv": float(totals.get(k.GMV_CENTS, 0)) / 100,
                   "events": int(sum(float(v) for f, v in totals.items()
                                     if f.startswith("events|")))},
    }
