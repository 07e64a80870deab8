"""The overview as Prometheus gauges, so Grafana charts the same figures as the dashboard.

Served at `GET /v1/analytics/metrics` (a separate scrape job from the API's own `/metrics`):
each scrape reads the overview once, through the same cache as the page.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from serving.analytics.overview import FUNNEL_STAGES

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


def render(overview: dict[str, Any]) -> bytes:
    """Prometheus text exposition of one overview; absent figures are absent series."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    rates = gauge("agora_analytics_events_per_second", "Events per second by domain.", ("domain",))
    for domain, fig in (overview.get("events_per_s") or {}).items():
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
    for row in overview.get("ctr") or []:
        if (value := _value(row.get("ctr"))) is not None:
            ctr.labels(row["model"], row["variant"]).set(value)
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
