"""GET /v1/users/{user_id}/recommendations: personalised, filtered, paged, never a 500."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from serving.api.answers import recommendation_response
from serving.deps import StorefrontAnsweringDep
from serving.edge.parameters import Parameters, invalid_query
from serving.recommend import paging
from serving.recommend.service import Query
from serving.schemas.recommendations import RecommendationParams, Recommendations

# the storefront scope is checked by the route's one dependency (StorefrontAnsweringDep)
router = APIRouter(prefix="/v1", tags=["recommendations"])

# The hottest route reads its parameters in one validation (see serving.edge.parameters).
PARAMS = Parameters(RecommendationParams, path=("user_id",))


@router.get("/users/{user_id}/recommendations", response_model=Recommendations,
            openapi_extra=PARAMS.openapi())
async def recommend_for_user(request: Request, answering: StorefrontAnsweringDep) -> Response:
    p = PARAMS.parse(request)
    # a cursor continues the list of one user and one set of filters (not one page size)
    bound = paging.digest(p.user_id, p.domain, p.kind, p.category, sorted(p.exclude),
                          p.in_stock, p.include_consumed)
    page = None
    if p.cursor is not None:
        try:
            page = paging.decode(p.cursor, request=bound)
        except paging.InvalidCursor as exc:
            raise invalid_query("cursor", str(exc), p.cursor) from None
    query = Query(k=p.k, domain=p.domain.value if p.domain else None,
                  kind=p.kind.value if p.kind else None, category=p.category,
                  exclude=p.exclude, in_stock=p.in_stock, include_consumed=p.include_consumed,
                  explain=p.explain, page=page, diversity=p.diversity)
    outcome = await answering.service.for_user(p.user_id, query)
    cursor = paging.after(request=bound, page=page, ranking=outcome.ranking,
                          items=[s.item_id for s in outcome.items], more=outcome.more)
    return recommendation_response(outcome, answering, surface=p.surface, user_id=p.user_id,
                                   next_cursor=cursor)
