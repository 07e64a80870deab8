"""POST /v1/events: validate a batch, publish it, answer 202 only once the broker acknowledged."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse

from contracts import EventError, parse_event
from serving.deps import PublisherDep, RequestIdDep, SettingsDep
from serving.publisher import BrokerUnavailable
from serving.schemas.events import EventBatch, EventsAccepted, EventsRejected
from serving.security import require_scope

router = APIRouter(prefix="/v1", tags=["events"],
                   dependencies=[Depends(require_scope("storefront"))])

BROKER_RETRY_AFTER_S = 5


@router.post(
    "/events", status_code=202, response_model=EventsAccepted,
    responses={413: {"description": "Too many events in the batch, or body too large"},
               422: {"model": EventsRejected, "description": "Per-event errors"},
               503: {"description": "The broker did not acknowledge; retry later"}},
)
async def post_events(batch: EventBatch, publisher: PublisherDep, settings: SettingsDep,
                      request_id: RequestIdDep) -> EventsAccepted | JSONResponse:
    if len(batch.events) > settings.events_max_batch:
        raise HTTPException(413, f"events: at most {settings.events_max_batch} per batch, "
                                 f"got {len(batch.events)}")
    parsed, errors = [], []
    for index, raw in enumerate(batch.events):
        try:
            parsed.append(parse_event(raw))
        except EventError as exc:
            errors.append({"index": index, "field": exc.field, "error": exc.reason})
    if errors:
        return JSONResponse({"detail": errors}, status_code=422)
    try:
        await publisher.publish(parsed)
    except BrokerUnavailable as exc:
        raise HTTPException(503, f"broker unavailable ({exc}); nothing was acknowledged",
                            headers={"Retry-After": str(BROKER_RETRY_AFTER_S)}) from None
    return EventsAccepted(request_id=request_id, accepted=len(parsed))
