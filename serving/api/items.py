"""GET /v1/items/{item_id}/similar: neighbours by content and behaviour."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from contracts import Domain
from contracts.envelope import MAX_ID_LENGTH
from serving.api.answers import recommendation_response
from serving.deps import AnsweringDep
from serving.edge.auth import require_scope
from serving.edge.parameters import invalid_query
from serving.schemas.recommendations import (
    MAX_K,
    KindParam,
    Recommendations,
    kind_in_domain,
)

ITEM_PATH = r"^[a-z]+:[^\s/\x00-\x1f\x7f]+$"

router = APIRouter(prefix="/v1", tags=["recommendations"],
                   dependencies=[Depends(require_scope("storefront"))])


@router.get("/items/{item_id}/similar", response_model=Recommendations)
async def similar_items(
    answering: AnsweringDep,
    item_id: Annotated[str, Path(min_length=3, max_length=MAX_ID_LENGTH, pattern=ITEM_PATH,
                                 description="`<kind>:<id>`, e.g. product:85123A")],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    domain: Annotated[Domain | None, Query()] = None,
    kind: Annotated[KindParam, Query()] = None,
    diversity: Annotated[float, Query(ge=0.0, le=1.0, description="0 (the model's order) to "
                                      "1: maximal marginal relevance")] = 0.0,
) -> Response:
    try:
        kind_in_domain(kind, domain)
    except ValueError as exc:
        raise invalid_query("kind", str(exc), kind) from None
    outcome = await answering.service.similar(item_id, k, domain.value if domain else None,
                                              kind=kind.value if kind else None,
                                              diversity=diversity)
    return recommendation_response(outcome, answering, surface="similar", item_id=item_id)
