"""Every dependency a router takes, as annotated aliases: the one place that reads `app.state`
(which `create_app`'s lifespan fills).

All `async def`: FastAPI runs a plain `def` dependency in a worker thread, a hop that cost
more than the recommendation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from agora.settings import ServingSettings
from core.service_layer.messagebus import MessageBus
from features.online import OnlineStore
from serving.analytics.service import LiveAnalytics
from serving.edge.auth import ScopeCheck
from serving.edge.metrics import Metrics
from serving.edge.request_id import request_id_of
from serving.health_risk.scorers import HealthModels
from serving.publisher import EventPublisher
from serving.recommend.fallback import PopularItems
from serving.recommend.live_rules import LiveRules
from serving.recommend.model_registry import ModelRegistry
from serving.recommend.service import RecommendationService


async def _settings(request: Request) -> ServingSettings:
    return request.app.state.settings


async def _store(request: Request) -> OnlineStore:
    return request.app.state.store


async def _popular(request: Request) -> PopularItems:
    return request.app.state.popular


async def _registry(request: Request) -> ModelRegistry:
    return request.app.state.registry


async def _publisher(request: Request) -> EventPublisher:
    return request.app.state.publisher


async def _core(request: Request) -> MessageBus:
    return request.app.state.core


async def _rules(request: Request) -> LiveRules:
    return request.app.state.rules


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def _live(request: Request) -> LiveAnalytics:
    return request.app.state.live_analytics


async def _health_models(request: Request) -> HealthModels:
    return request.app.state.health_models


async def _request_id(request: Request) -> str:
    return request_id_of(request.scope)


@dataclass(frozen=True, slots=True)
class Answering:
    """What a recommendation route needs: the service, and what its answer feeds (metrics,
    the served-event publisher) under the request's id. One dependency, not four: each one
    FastAPI resolves costs a measurable share of a recommendation."""

    service: RecommendationService
    metrics: Metrics
    publisher: EventPublisher
    request_id: str


async def _answering(request: Request) -> Answering:
    return _answering_of(request)


def _answering_of(request: Request) -> Answering:
    state = request.app.state
    return Answering(service=state.recommendations, metrics=state.metrics,
                     publisher=state.publisher, request_id=request_id_of(request.scope))


@dataclass(frozen=True, slots=True)
class ScopedAnswering(ScopeCheck):
    """The scope check and `Answering` as one dependency for the recommendation route: each
    dependency FastAPI solves is Python work on every request (docs/benchmarks.md, Serving).
    A `ScopeCheck`, so the route's scopes are declared as any other's (`required_scopes`)."""

    async def __call__(self, request: Request) -> Answering:  # type: ignore[override]
        await ScopeCheck.__call__(self, request)  # 401 / 403 before anything is read
        return _answering_of(request)


SettingsDep = Annotated[ServingSettings, Depends(_settings)]
StoreDep = Annotated[OnlineStore, Depends(_store)]
PopularDep = Annotated[PopularItems, Depends(_popular)]
RegistryDep = Annotated[ModelRegistry, Depends(_registry)]
PublisherDep = Annotated[EventPublisher, Depends(_publisher)]
RequestIdDep = Annotated[str, Depends(_request_id)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
CoreDep = Annotated[MessageBus, Depends(_core)]
AnsweringDep = Annotated[Answering, Depends(_answering)]
StorefrontAnsweringDep = Annotated[Answering, Depends(ScopedAnswering(scopes=("storefront",)))]
LiveDep = Annotated[LiveAnalytics, Depends(_live)]
HealthModelsDep = Annotated[HealthModels, Depends(_health_models)]
RulesDep = Annotated[LiveRules, Depends(_rules)]
