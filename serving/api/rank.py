"""POST /v1/rank: rerank the storefront's candidate list for a user."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from serving.api.answers import recommendation_response
from serving.deps import AnsweringDep
from serving.edge.auth import require_scope
from serving.schemas.recommendations import RankRequest, Recommendations

router = APIRouter(prefix="/v1", tags=["recommendations"],
                   dependencies=[Depends(require_scope("storefront"))])


@router.post("/rank", response_model=Recommendations)
async def rank(body: RankRequest, answering: AnsweringDep) -> Response:
    outcome = await answering.service.rank(body.user_id, body.candidates,
                                           kind=body.kind.value if body.kind else None)
    return recommendation_response(outcome, answering, surface=body.surface,
                                   user_id=body.user_id)
