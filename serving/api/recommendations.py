"""GET /v1/users/{user_id}/recommendations: personalised, filtered, never a 500."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from serving.api.answers import recommendation_response
from serving.deps import AnsweringDep
from serving.edge.auth import require_scope
from serving.edge.parameters import Parameters
from serving.recommend.service import Query
from serving.schemas.recommendations import RecommendationParams, Recommendations

router = APIRouter(prefix="/v1", tags=["recommendations"],
                   dependencies=[Depends(require_scope("storefront"))])

# The hottest route reads its parameters in one validation (see serving.edge.parameters).
PARAMS = Parameters(RecommendationParams, path=("user_id",))


@router.get("/users/{user_id}/recommendations", response_model=Recommendations,
            openapi_extra=PARAMS.openapi())
async def recommend_for_user(request: Request, answering: AnsweringDep) -> Response:
    p = PARAMS.parse(request)
    query = Query(k=p.k, domain=p.domain.value if p.domain else None, category=p.category,
                  exclude=p.exclude, in_stock=p.in_stock, include_consumed=p.include_consumed)
    outcome = await answering.service.for_user(p.user_id, query)
    return recommendation_response(outcome, answering, surface=p.surface, user_id=p.user_id)
