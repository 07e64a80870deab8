"""POST /v1/events: validate a batch, publish it, answer 202 only once the broker acknowledged.

Which key may publish which event type is contracts/scopes.py: a batch holding any type the
key may not publish is refused whole (403 naming the types), before validation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse

from contracts import EventError, parse_event
from contracts.scopes import PUBLISHING_SCOPES, refused, scope_for
from serving.deps import MetricsDep, PublisherDep, RequestIdDep, SettingsDep
from serving.edge.auth import Principal, require_scope
from serving.publisher import BrokerUnavailable
from serving.schemas.events import EventBatch, EventsAccepted, EventsRejected

router = APIRouter(prefix="/v1", tags=["events"])
Publishing = Annotated[Principal, Depends(require_scope(*PUBLISHING_SCOPES))]

BROKER_RETRY_AFTER_S = 5


@router.post(
    "/events", status_code=202, response_model=EventsAccepted,
    responses={413: {"description": "Too many events in the batch, or body too large"},
               403: {"description": "The key may not publish some event type of the batch "
                            "(`event_types` names them); nothing was published"},
               422: {"model": EventsRejected, "description": "Per-event errors"},
               503: {"description": "The broker did not acknowledge; retry later"}},
)
async def post_events(batch: EventBatch, principal: Publishing, publisher: PublisherDep,
                      settings: SettingsDep, metrics: MetricsDep,
                      request_id: RequestIdDep) -> EventsAccepted | JSONResponse:
    if len(batch.events) > settings.events_max_batch:
        raise HTTPException(413, f"events: at most {settings.events_max_batch} per batch, "
                                 f"got {len(batch.events)}")
    types = [raw.get("event_type") for raw in batch.events]
    forbidden = refused((t for t in types if isinstance(t, str)), principal.scopes)
    if forbidden:
        metrics.count_events(types, "forbidden")
        needs = sorted({str(scope_for(t)) for t in forbidden})
        return JSONResponse({"detail": f"this API key may not publish {', '.join(forbidden)} "
                                       f"(needs the scope {' or '.join(needs)}); nothing "
                                       "was published",
                             "event_types": forbidden}, status_code=403)
    parsed, errors = [], []
    for index, raw in enumerate(batch.events):
        try:
            parsed.append(parse_event(raw))
        except EventError as exc:
            errors.append({"index": index, "field": exc.field, "error": exc.reason})
    if errors:
        metrics.count_events(types, "invalid")
        return JSONResponse({"detail": errors}, status_code=422)
    try:
        await publisher.publish(parsed)
    except BrokerUnavailable as exc:
        metrics.count_events(types, "unavailable")
        raise HTTPException(503, f"broker unavailable ({exc}); nothing was acknowledged",
                            headers={"Retry-After": str(BROKER_RETRY_AFTER_S)}) from None
    metrics.count_events(types, "accepted")
    return EventsAccepted(request_id=request_id, accepted=len(parsed))
