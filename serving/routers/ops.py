"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from agora.kafka import wait_for_metadata
from features.online import StoreUnavailable
from serving.deps import PublisherDep, RegistryDep, SettingsDep, StoreDep
from serving.readiness import degraded_parts

router = APIRouter(tags=["ops"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


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
