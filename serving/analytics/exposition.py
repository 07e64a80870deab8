"""The overview as Prometheus gauges, so Grafana charts the same figures as the dashboard.

Served at `GET /v1/analytics/metrics` (a separate scrape job from the API's own `/metrics`):
each scrape reads the overview once, through the same cache as the page.

Model and variant names reach the overview from events, so a CTR series keeps its model label
only for a model in service (`name@version`, or `fallback`) and its variant only for a known
variant; the rest is summed under `other` (a flood of invented names is one series). Domains
are the reader's closed set.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from features.analytics import DOMAINS
from features.recommendations import VARIANTS
from serving.analytics.overview import FUNNEL_STAGES

OTHER = "other"
FALLBACK_MODEL = "fallback"  # what serving names a list that no model made

_SCALARS = {
    "orders_per_min": ("agora_analytics_orders_per_minute", "Orders placed per minute."),
    "gmv_per_min": ("agora_analytics_gmv_per_minute", "Gross merchandise value per minute."),
    "active_users": ("agora_analytics_active_users", "Users active in the current period."),
    "moderation_queue": ("agora_analytics_moderation_queue", "Flagged content awaiting review."),
    "listen_through": (
        "agora_analytics_listen_through_ratio",
        "Podcast listen-through (share of an episode played).",
    ),
    "dead_letters": ("agora_analytics_dead_letters_per_minute", "Events dead-lettered per minute."),
    "aov": ("agora_analytics_average_order_value", "Average order value."),
    "payment_failure_rate": ("agora_analytics_payment_failure_ratio", "Failed payments' share."),
    "cart_abandonment": (
        "agora_analytics_cart_abandonment_ratio",
        "Carts without a purchase, share of sessions with a cart.",
    ),
}


def _value(fig: Any) -> float | None:
    return fig["value"] if isinstance(fig, dict) else None


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def ctr_series(overview: dict[str, Any]) -> dict[tuple[str, str], float]:
    """CTR per (model, variant) with unknown names folded into `other` (see module doc)."""
    known = {f"{row['name']}@{row['version']}" for row in overview.get("models_in_service") or []
             if row.get("name")} | {FALLBACK_MODEL}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in overview.get("ctr") or []:
        model, variant = str(row.get("model")), str(row.get("variant"))
        key = (model if model in known else OTHER, variant if variant in VARIANTS else OTHER)
        groups.setdefault(key, []).append(row)
    out: dict[tuple[str, str], float] = {}
    for key, rows in groups.items():
        if len(rows) == 1:
            value = _value(rows[0].get("ctr"))
        else:  # a folded group: its clicks over its impressions
            served = sum(_number(r.get("impressions")) for r in rows)
            value = sum(_number(r.get("clicks")) for r in rows) / served if served else None
        if value is not None:
            out[key] = value
    return out


def render(overview: dict[str, Any]) -> bytes:
    """Prometheus text exposition of one overview; absent figures are absent series."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    rates = gauge("agora_analytics_events_per_second", "Events per second by domain.", ("domain",))
    for domain, fig in (overview.get("events_per_s") or {}).items():
        if domain in DOMAINS:
            rates.labels(domain).set(fig["value"])
    for key, (name, doc) in _SCALARS.items():
        if (value := _value(overview.get(key))) is not None:
            gauge(name, doc).set(value)
    funnel = gauge("agora_analytics_funnel", "Sessions reaching each funnel stage.", ("stage",))
    for stage in FUNNEL_STAGES:
        if (value := _value((overview.get("funnel") or {}).get(stage))) is not None:
            funnel.labels(stage).set(value)
    alerts = gauge("agora_analytics_low_stock_alerts", "Low-stock alerts by state.", ("state",))
    if overview.get("low_stock") is not None:
        acked = sum(1 for a in overview["low_stock"] if a.get("acknowledged"))
        alerts.labels("open").set(len(overview["low_stock"]) - acked)
        alerts.labels("acknowledged").set(acked)
    ctr = gauge("agora_analytics_ctr", "Live click-through rate.", ("model", "variant"))
    for (model, variant), value in ctr_series(overview).items():
        ctr.labels(model, variant).set(value)
    lag = gauge(
        "agora_analytics_consumer_lag", "Stream workers' consumer lag (messages).", ("topic",)
    )
    for topic, behind in ((overview.get("consumer_lag") or {}).get("topics") or {}).items():
        lag.labels(topic).set(behind)
    models = gauge(
        "agora_analytics_model_in_service",
        "1 per model version in service.",
        ("alias", "name", "version"),
    )
    for row in overview.get("models_in_service") or []:
        if row.get("name"):
            models.labels(row["alias"], row["name"], row["version"]).set(1)
    return generate_latest(registry)
