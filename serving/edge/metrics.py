"""Prometheus metrics: HTTP latency and status per endpoint, models in service, fallbacks.

Each app owns its `CollectorRegistry` (built in `create_app`, served at `/metrics`), so apps in
one process (tests, benchmarks) never share counters. No label value is taken from a request as
sent: endpoints are route templates (`unmatched` otherwise), methods and event types closed sets
with `other` for the rest.
"""

from __future__ import annotations

import collections
import time

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.events import EVENT_TYPES
from serving.recommend.model_registry import Served

OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
EVENT_OUTCOMES = ("accepted", "forbidden", "invalid", "unavailable")


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER


def event_type_label(event_type: object) -> str:
    return event_type if isinstance(event_type, str) and event_type in EVENT_TYPES else OTHER


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                   2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.duration = Histogram(
            "agora_http_request_duration_seconds", "HTTP request latency in seconds.",
            ["method", "endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.requests = Counter(
            "agora_http_requests_total", "HTTP requests by endpoint and status code.",
            ["method", "endpoint", "status"], registry=self.registry)
        self.model_info = Gauge(
            "agora_model_info", "Models in service: 1 per alias, name and version.",
            ["alias", "name", "version"], registry=self.registry)
        self.fallbacks = Counter(
            "agora_recommendation_fallbacks_total",
            "Responses served by a fallback, by reason.", ["reason"], registry=self.registry)
        self.served = Counter(
            "agora_recommendations_served_total", "Recommendation responses by variant.",
            ["variant"], registry=self.registry)
        self.dropped_events = Counter(
            "agora_recommendation_events_dropped_total",
            "recommendation_served events not published (broker unavailable).",
            registry=self.registry)
        self.events = Counter(
            "agora_api_events_total", "Events received by POST /v1/events, by type and "
            "outcome (forbidden: the key's scope may not publish the type).",
            ["event_type", "outcome"], registry=self.registry)
        self.rate_limited = Counter(
            "agora_http_rate_limited_total", "Requests refused with 429, by the budget they "
            "spent: an API key's, or a client address's (no key or an invalid one).",
            ["caller"], registry=self.registry)
        self.rate_limit_storage_errors = Counter(
            "agora_rate_limit_storage_errors_total", "Shared rate-limit calls that failed "
            "(Redis down or slow): buckets went in process for a while.",
            registry=self.registry)

    def count_events(self, event_types: list[object], outcome: str) -> None:
        for label, n in collections.Counter(event_type_label(t) for t in event_types).items():
            self.events.labels(label, outcome).inc(n)

    def models_changed(self, served: Served) -> None:
        self.model_info.clear()
        for alias, model in (("champion", served.champion), ("challenger", served.challenger)):
            if model is not None:
                self.model_info.labels(alias, model.name, model.version).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): observes every HTTP request once."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observe_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observe_status)
        finally:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            method = method_label(scope["method"])
            self.metrics.duration.labels(method, endpoint).observe(
                time.perf_counter() - started)
            self.metrics.requests.labels(method, endpoint, str(status)).inc()

