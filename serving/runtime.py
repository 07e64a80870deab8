"""The serving runtime: what `lifespan` opens (registry poll, producer, services) and the
middleware every request passes. Tests may preset `app.state.model_source` (a fake registry).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agora.settings import ServingSettings
from features.online import OnlineStore
from serving.api import events, health_risk, items, models_admin, rank, recommendations
from serving.core_api.runtime import product_words
from serving.edge import metrics
from serving.edge.body_limit import BodyLimitMiddleware
from serving.edge.metrics import Metrics, MetricsMiddleware
from serving.edge.rate_limit import RateLimiter, RateLimitMiddleware, budget
from serving.edge.request_id import RequestIdMiddleware
from serving.health_risk.scorers import HealthModels, MlflowHealthSource
from serving.publisher import EventPublisher
from serving.recommend.fallback import PopularItems
from serving.recommend.model_registry import MlflowModelSource, ModelRegistry, ModelSource
from serving.recommend.service import RecommendationService
from serving.recommend.signals import StoreSignals


def install_recommendations(app: FastAPI, settings: ServingSettings) -> None:
    """The recommendation, event and model routes, /metrics, and the middleware."""
    for module in (recommendations, items, rank, events, models_admin, health_risk, metrics):
        app.include_router(module.router)
    install_middleware(app, settings)


def install_middleware(app: FastAPI, settings: ServingSettings) -> None:
    """Outermost last: request id, metrics, CORS, rate limit, body limit."""
    meters = app.state.metrics = Metrics()
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.state.rate_limiter = RateLimiter(
        item=budget(per_s=settings.rate_limit_per_s, burst=settings.rate_limit_burst),
        redis_url=settings.rate_limit_storage_url, key_prefix=settings.rate_limit_key_prefix,
        timeout_s=settings.rate_limit_redis_timeout_s,
        retry_s=settings.rate_limit_redis_retry_s,
        on_storage_error=meters.rate_limit_storage_errors.inc)
    app.add_middleware(RateLimitMiddleware, limiter=app.state.rate_limiter,
                       on_refused=lambda caller: meters.rate_limited.labels(caller).inc())
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "X-Agora-Fallback", "X-Agora-Model",
                                           "X-Agora-Variant", "Retry-After"])
    app.add_middleware(MetricsMiddleware, metrics=meters)
    app.add_middleware(RequestIdMiddleware)


@asynccontextmanager
async def open_runtime(app: FastAPI, settings: ServingSettings,
                       store: OnlineStore) -> AsyncIterator[None]:
    metrics: Metrics = app.state.metrics
    source: ModelSource = getattr(app.state, "model_source", None) or MlflowModelSource(
        tracking_uri=settings.mlflow_uri, name=settings.model_name)
    registry = ModelRegistry(source=source, poll_s=settings.model_poll_s,
                             on_change=metrics.models_changed)
    publisher = EventPublisher(bootstrap=settings.kafka_bootstrap,
                               timeout_s=settings.publish_timeout_s,
                               on_drop=metrics.dropped_events.inc)
    app.state.registry = registry
    app.state.publisher = publisher
    app.state.popular = PopularItems(store=store, half_life_s=settings.trending_half_life_s,
                                     timeout_s=settings.store_timeout_s)
    app.state.recommendations = RecommendationService(
        registry=registry, popular=app.state.popular,
        signals=StoreSignals(store=store, catalogue=partial(product_words, app)),
        challenger_share=settings.challenger_share, store_timeout_s=settings.store_timeout_s)
    health = HealthModels(source=MlflowHealthSource(tracking_uri=settings.mlflow_uri),
                          poll_s=settings.model_poll_s)
    app.state.health_models = health
    limiter: RateLimiter = app.state.rate_limiter
    await limiter.open()
    await publisher.start()
    await registry.start()
    await health.start()
    try:
        yield
    finally:
        # Stop what this lifespan started, even if another run replaced app.state since.
        await health.stop()
        await registry.stop()
        await publisher.stop()
        await limiter.close()
