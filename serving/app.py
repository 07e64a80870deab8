"""The HTTP API, wired in one place: `create_app(settings)` adds every router and middleware,
and its lifespan opens the heavy resources (online store, core, model registries, producer,
rate-limit storage, live analytics). Routers take all of them through `serving.deps`.

Tests may preset `app.state.model_source` (a fake registry) before the lifespan runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import partial

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from agora.settings import ServingSettings
from contracts.topics import SOURCE_TOPICS
from features.online import open_store
from serving.analytics.experiment import LiveExperiment, RegistryAliases
from serving.analytics.lag import ConsumerLag
from serving.analytics.models_in_service import models_in_service
from serving.analytics.service import LiveAnalytics
from serving.analytics.source import StoreAnalytics
from serving.api import (
    analytics,
    dashboard,
    events,
    health_risk,
    items,
    models_admin,
    probes,
    rank,
    recommendations,
    trending,
)
from serving.core_api import catalog, communities, inventory, orders, podcasts, rules
from serving.core_api.rules import live_rules
from serving.core_api.runtime import joined_communities, open_core, product_words
from serving.edge.body_limit import BodyLimitMiddleware
from serving.edge.metrics import Metrics, MetricsMiddleware
from serving.edge.openapi import document
from serving.edge.rate_limit import RateLimiter, RateLimitMiddleware, budget
from serving.edge.request_id import RequestIdMiddleware
from serving.health_risk.scorers import HealthModels, MlflowHealthSource
from serving.publisher import EventPublisher
from serving.recommend.diversity import Rotation
from serving.recommend.experiments import SequentialTest
from serving.recommend.fallback import PopularItems
from serving.recommend.model_registry import MlflowModelSource, ModelRegistry, ModelSource
from serving.recommend.service import RecommendationService
from serving.recommend.signals import StoreSignals

# Routes match in order: the storefront's hot paths first.
ROUTERS: tuple[APIRouter, ...] = tuple(module.router for module in (
    recommendations, items, rank, events, models_admin, health_risk, trending, probes,
    analytics, dashboard, catalog, inventory, orders, communities, podcasts, rules))


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    settings = settings or ServingSettings()
    app = FastAPI(
        title="Agora",
        version="0.1.0",
        summary="Real-time analytics and recommendations for store, communities and podcasts.",
        lifespan=partial(_lifespan, settings=settings),
    )
    app.state.settings = settings
    # Built with the app, not in the lifespan: the middleware below holds them.
    app.state.metrics = Metrics()
    app.state.rate_limiter = _rate_limiter(settings, app.state.metrics)
    for router in ROUTERS:
        app.include_router(router)
    _add_middleware(app, settings)
    document(app)
    return app


def _rate_limiter(settings: ServingSettings, meters: Metrics) -> RateLimiter:
    return RateLimiter(
        item=budget(per_s=settings.rate_limit_per_s, burst=settings.rate_limit_burst),
        redis_url=settings.rate_limit_storage_url, key_prefix=settings.rate_limit_key_prefix,
        timeout_s=settings.rate_limit_redis_timeout_s,
        retry_s=settings.rate_limit_redis_retry_s,
        on_storage_error=meters.rate_limit_storage_errors.inc)


def _add_middleware(app: FastAPI, settings: ServingSettings) -> None:
    """Outermost last: request id, metrics, CORS, rate limit, body limit."""
    meters: Metrics = app.state.metrics
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
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


def _started(start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]
             ) -> AbstractAsyncContextManager[None]:
    """A `start()`/`stop()` pair as an async context manager."""

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    return running()


@asynccontextmanager
async def _lifespan(app: FastAPI, *, settings: ServingSettings) -> AsyncIterator[None]:
    """Open everything the routes use; stop it in reverse order. Locals, not `app.state`, are
    stopped: another run may have replaced the state since."""
    state = app.state
    meters: Metrics = state.metrics
    async with AsyncExitStack() as opened:
        store = state.store = open_store(settings.online_store_url)
        opened.push_async_callback(store.close)
        core = await opened.enter_async_context(open_core(settings))
        state.core, state.api_keys = core.bus, core.api_keys
        limiter: RateLimiter = state.rate_limiter
        await opened.enter_async_context(_started(limiter.open, limiter.close))

        publisher = state.publisher = EventPublisher(
            bootstrap=settings.kafka_bootstrap, timeout_s=settings.publish_timeout_s,
            on_drop=meters.dropped_events.inc)
        source: ModelSource = getattr(state, "model_source", None) or MlflowModelSource(
            tracking_uri=settings.mlflow_uri, name=settings.model_name)
        registry = state.registry = ModelRegistry(
            source=source, poll_s=settings.model_poll_s, on_change=meters.models_changed)
        health = state.health_models = HealthModels(
            source=MlflowHealthSource(tracking_uri=settings.mlflow_uri),
            poll_s=settings.model_poll_s)
        popular = state.popular = PopularItems(
            store=store, half_life_s=settings.trending_half_life_s,
            timeout_s=settings.store_timeout_s)
        merchandising = state.rules = live_rules(core.bus, store)
        state.recommendations = RecommendationService(
            registry=registry, popular=popular, rules=merchandising,
            joined=partial(joined_communities, core.bus),
            signals=StoreSignals(store=store, catalogue=partial(product_words, core.bus)),
            challenger_share=settings.challenger_share, store_timeout_s=settings.store_timeout_s,
            rotation=Rotation(store=store, penalty=settings.rotation_penalty,
                              window_s=settings.rotation_window_s,
                              timeout_s=settings.store_timeout_s))
        experiment = state.experiment = LiveExperiment(
            store=store, registry=registry, auto_promote=settings.ab_auto_promote,
            rule=SequentialTest(alpha=settings.ab_alpha, tau=settings.ab_tau,
                                min_served=settings.ab_min_served),
            aliases=RegistryAliases(tracking_uri=settings.mlflow_uri, name=settings.model_name))
        state.live_analytics = LiveAnalytics(
            source=StoreAnalytics(store=store, half_life_s=settings.trending_half_life_s),
            lag=ConsumerLag(bootstrap=settings.kafka_bootstrap, group=settings.worker_app_id,
                            topics=SOURCE_TOPICS),
            models=lambda: models_in_service(registry), experiment=experiment.read)
        for part in (publisher, registry, health, merchandising, experiment):
            await opened.enter_async_context(_started(part.start, part.stop))
        yield
