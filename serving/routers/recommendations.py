"""GET /v1/users/{user_id}/recommendations: personalised, filtered, never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from contracts import Domain
from serving.deps import AnsweringDep
from serving.recommending import Query as RecQuery
from serving.responses import recommendation_response
from serving.schemas.recommendations import MAX_K, Recommendations
from serving.security import require_scope

router = APIRouter(prefix="/v1", tags=["recommendations"],
                   dependencies=[Depends(require_scope("storefront"))])

MAX_EXCLUDE = 500


def parse_exclude(values: list[str]) -> frozenset[str]:
    """`exclude` may repeat and/or hold comma-separated item ids."""
    items = frozenset(i.strip() for v in values for i in v.split(",") if i.strip())
    if len(items) > MAX_EXCLUDE:
        raise HTTPException(422, f"exclude: at most {MAX_EXCLUDE} items")
    return items


@router.get("/users/{user_id}/recommendations", response_model=Recommendations)
async def recommend_for_user(
    answering: AnsweringDep,
    user_id: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s/]+$")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description=f"1 to {MAX_K}")] = 10,
    domain: Annotated[Domain | None, Query(description="commerce, community or podcast")] = None,
    category: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    exclude: Annotated[list[str], Query(description="Item ids to leave out (repeat or comma-separate).")] = [],  # noqa: B006, E501
    in_stock: Annotated[bool, Query(description="Only products with stock on hand.")] = False,
    include_consumed: Annotated[bool, Query(
        description="Allow items the user already bought or consumed.")] = False,
    surface: Annotated[str, Query(min_length=1, max_length=64)] = "home",
) -> Response:
    query = RecQuery(k=k, domain=domain.value if domain else None, category=category,
                     exclude=parse_exclude(exclude), in_stock=in_stock,
                     include_consumed=include_consumed)
    outcome = await answering.service.for_user(user_id, query)
    return recommendation_response(outcome, answering, surface=surface, user_id=user_id)
