"""Turning a recommendation outcome into the HTTP answer (body, headers, metrics, event)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import orjson
from fastapi import Response

from contracts.events import RecommendationServed
from models.filters import Scored
from serving.deps import Answering
from serving.recommend.fallback import FALLBACK_HEADER
from serving.recommend.service import Outcome


def recommendation_response(outcome: Outcome, answering: Answering, *, surface: str,
                            user_id: str | None = None, item_id: str | None = None,
                            next_cursor: str | None = None) -> Response:
    """JSON body of the `Recommendations` schema, headers naming model, variant and fallback."""
    metrics, publisher, request_id = (answering.metrics, answering.publisher,
                                      answering.request_id)
    served = outcome.model
    body: dict[str, object] = {
        "request_id": request_id, "user_id": user_id, "item_id": item_id,
        "model": {"name": served.name if served else None,
                  "version": served.version if served else None},
        "variant": outcome.variant, "strategy": outcome.strategy,
        "fallback": outcome.fallbacks,
        "items": [item_body(s, outcome) for s in outcome.items],
        "rules": outcome.rules,
    }
    if next_cursor is not None or outcome.ranking_changed:
        body["next_cursor"] = next_cursor
        body["ranking_changed"] = outcome.ranking_changed
    headers = {"X-Agora-Model": served.label if served else "none",
               "X-Agora-Variant": outcome.variant}
    if outcome.fallbacks:
        headers[FALLBACK_HEADER] = ",".join(outcome.fallbacks)
        for reason in outcome.fallbacks:
            metrics.fallbacks.labels(reason).inc()
    metrics.served.labels(outcome.variant).inc()
    if not publisher.available:
        metrics.dropped_events.inc()
    elif outcome.items:
        publisher.publish_soon(RecommendationServed(
            event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), user_id=user_id,
            request_id=request_id, surface=surface,
            items=tuple(s.item_id for s in outcome.items),
            model=served.label if served else "fallback", variant=outcome.variant))
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)


def item_body(s: Scored, outcome: Outcome) -> dict[str, object]:
    """One item of a list, with `because` when the list was explained."""
    if (why := outcome.because.get(s.item_id)) is None:
        return {"item_id": s.item_id, "score": s.score}
    return {"item_id": s.item_id, "score": s.score,
            "because": {"reason": why.reason, "items": list(why.items)}}
