"""/v1/podcasts: shows and their episodes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from core.service_layer import commands, reads
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, read
from serving.core_api.schemas.community import EpisodeIn, EpisodeOut, ShowIn, ShowOut
from serving.core_api.schemas.fields import IdPath
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/podcasts", tags=["podcasts"], responses=ERRORS)
Writer = Annotated[Principal, Depends(require_scope("podcasts:write"))]


@router.post("/shows", status_code=201, response_model=ShowOut,
             responses={**links.SHOW, **CONFLICT})
def create_show(body: ShowIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.CreateShow(**body.model_dump()))


@router.get("/shows/{show_id}", response_model=ShowOut)
def get_show(show_id: IdPath, bus: CoreDep) -> View:
    return read(bus, reads.get_show, show_id=show_id)


@router.post("/shows/{show_id}/episodes", status_code=201, response_model=EpisodeOut,
             responses=CONFLICT)
def publish_episode(show_id: IdPath, body: EpisodeIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.PublishEpisode(show_id=show_id, **body.model_dump()))
