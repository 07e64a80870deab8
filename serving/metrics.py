"""Prometheus metrics: HTTP latency and status per endpoint, models in service, fallbacks.

Each app owns its `CollectorRegistry` (built in `create_app`), so apps in one process (tests,
benchmarks) never share counters. Endpoints are labelled by route template, never by raw path.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.registry import Served

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
            method = scope["method"]
            self.metrics.duration.labels(method, endpoint).observe(
                time.perf_counter() - started)
            self.metrics.requests.labels(method, endpoint, str(status)).inc()


router = APIRouter(tags=["ops"])


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
