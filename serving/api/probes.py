"""Liveness, readiness and the API's own metrics: `/readyz` checks the store and the broker,
and names what is degraded in the serving path."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from agora.kafka import wait_for_metadata
from features.online import StoreUnavailable
from serving.deps import MetricsDep, PublisherDep, RegistryDep, SettingsDep, StoreDep
from serving.publisher import EventPublisher
from serving.recommend.model_registry import CHALLENGER, CHAMPION, ModelRegistry

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def degraded_parts(registry: ModelRegistry, publisher: EventPublisher) -> list[str]:
    out = []
    current = registry.current
    if current.champion is None:
        out.append(f"model: no champion in service ({registry.status.get(CHAMPION)}); "
                   "serving popular items")
    elif registry.status.get(CHAMPION) != "ok":
        out.append(f"model: champion {current.champion.label} kept "
                   f"({registry.status.get(CHAMPION)})")
    challenger = registry.status.get(CHALLENGER, "missing")
    if challenger not in ("ok", "missing"):
        out.append(f"model: challenger {challenger}")
    if not publisher.available:
        out.append(f"producer: not connected ({publisher.last_error}); events answer 503")
    return out


@router.get("/readyz", responses={503: {
    "description": "The broker or the online store does not answer; `checks` names which"}})
async def readyz(store: StoreDep, settings: SettingsDep, registry: RegistryDep,
                 publisher: PublisherDep) -> JSONResponse:
    """Whether the broker and the online store answer; 503 names what does not.

    `degraded` lists what still answers but worse: no model in service (popular fallback),
    a challenger that failed to load, a producer that is not connected.
    """
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(store.ping(), settings.readiness_timeout_s)
        checks["store"] = "ok"
    except (StoreUnavailable, TimeoutError) as exc:
        checks["store"] = f"unavailable: {exc}"
    try:
        await wait_for_metadata(settings.kafka_bootstrap, settings.readiness_timeout_s)
        checks["broker"] = "ok"
    except TimeoutError as exc:
        checks["broker"] = f"unavailable: {exc}"
    ready = all(v == "ok" for v in checks.values())
    degraded = degraded_parts(registry, publisher)
    return JSONResponse({"status": "ready" if ready and not degraded else "degraded",
                         "checks": checks, "degraded": degraded,
                         "models": registry.status},
                        status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(meters: MetricsDep) -> Response:
    return Response(meters.render(), media_type=CONTENT_TYPE_LATEST)
