"""Live analytics: the overview, a server-sent event stream of it, and low-stock acknowledgement."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from contracts.envelope import ID_PATTERN, MAX_ID_LENGTH
from features.online import StoreUnavailable
from serving.analytics import exposition
from serving.analytics.service import LiveAnalytics
from serving.deps import LiveDep
from serving.edge.auth import ops_access

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])
# The dashboard's data needs `ops` where analytics are not public; the Prometheus gauges do
# not, like /metrics.
OPS = [Depends(ops_access)]

# A stream ends after this long and the browser reconnects (EventSource does so by itself):
# it bounds how long a server shutdown waits for open dashboards.
STREAM_MAX_S = 300.0
RETRY_MS = 1000


@router.get("/overview", dependencies=OPS)
async def get_overview(live: LiveDep) -> dict[str, Any]:
    """Every live figure with its previous-period value; `missing` names what is not known yet."""
    return await live.overview()


@router.get("/metrics", response_class=Response)
async def get_analytics_metrics(live: LiveDep) -> Response:
    """The overview's figures as Prometheus gauges (scraped for Grafana)."""
    return Response(exposition.render(await live.overview()), media_type=CONTENT_TYPE_LATEST)


def server_exiting() -> bool:
    """Whether uvicorn is shutting down, so open streams end at once instead of holding it.

    uvicorn installs its bound `Server.handle_exit` as the SIGTERM/SIGINT handler and sets
    `should_exit` on a signal; elsewhere this is False and `STREAM_MAX_S` bounds the stream
    (`agora serve` also sets `timeout_graceful_shutdown`).
    """
    handler = signal.getsignal(signal.SIGTERM)
    return getattr(getattr(handler, "__self__", None), "should_exit", False) is True


def _frame(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def _overview_events(
    request: Request, live: LiveAnalytics, interval_s: float
) -> AsyncIterator[bytes]:
    yield f"retry: {RETRY_MS}\n\n".encode()
    ends_at = time.monotonic() + STREAM_MAX_S
    while (
        time.monotonic() < ends_at and not server_exiting() and not await request.is_disconnected()
    ):
        yield _frame("overview", await live.overview())
        await asyncio.sleep(interval_s)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
    dependencies=OPS,
)
async def stream_overview(
    request: Request,
    live: LiveDep,
    interval: Annotated[float, Query(ge=0.2, le=10.0, description="seconds between pushes")] = 1.0,
) -> StreamingResponse:
    """Server-sent events: `event: overview` with the overview's JSON every `interval` seconds."""
    return StreamingResponse(
        _overview_events(request, live, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/experiments", dependencies=OPS)
async def get_experiments(live: LiveDep) -> dict[str, Any]:
    """The A/B test of the models in service: each arm's lists served and CTR (Wilson 95%
    interval), and the decision (mSPRT: `collecting`, `running`, `won`, `lost` or
    `no_experiment`) with the challenger's lift and its always-valid interval."""
    return await live.experiment() or {"decision": None, "error": "no experiment wired"}


class Acknowledgement(BaseModel):
    product_id: str
    acknowledged_at: float


@router.post("/alerts/low-stock/{product_id}/ack", response_model=Acknowledgement,
             dependencies=OPS, responses={404: {"description": "No open alert"},
                                          503: {"description": "The online store is down"}})
async def acknowledge_low_stock(
    live: LiveDep,
    product_id: Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)],
) -> Acknowledgement:
    """Mark a product's open low-stock alert as seen; 404 when the product has no open alert."""
    try:
        at = await live.acknowledge(product_id)
    except StoreUnavailable as exc:
        raise HTTPException(503, detail=f"online store unavailable: {exc}") from exc
    if at is None:
        raise HTTPException(404, detail=f"no open low-stock alert for product {product_id!r}")
    return Acknowledgement(product_id=product_id, acknowledged_at=at)
