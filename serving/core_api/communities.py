"""/v1/communities: communities, members, posts, comments, votes, reports, moderation.

The storefront acts for its users: bodies name the acting user (`author_id`, `user_id`, ...);
the API key says the caller may do so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from core.domain.communities import MemberRole
from core.service_layer import commands
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import execute
from serving.core_api.schemas.common import IdPath
from serving.core_api.schemas.community import (
    CommentIn,
    CommunityIn,
    MemberIn,
    ModerationIn,
    ModeratorIn,
    PostIn,
    ReportIn,
    VoteIn,
)
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/communities", tags=["communities"])
Writer = Annotated[Principal, Depends(require_scope("communities:write"))]


@router.post("", status_code=201, responses=links.COMMUNITY)
def create_community(body: CommunityIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.CreateCommunity(**body.model_dump()))


@router.get("/{community_id}")
def get_community(community_id: IdPath, bus: CoreDep) -> View:
    return execute(bus, commands.GetCommunity(community_id=community_id))


@router.post("/{community_id}/members", status_code=201)
def join(community_id: IdPath, body: MemberIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.JoinCommunity(community_id=community_id, user_id=body.user_id))


@router.post("/{community_id}/moderators")
def appoint_moderator(community_id: IdPath, body: ModeratorIn, bus: CoreDep, _: Writer) -> View:
    """The owner (`by`) makes a member a moderator."""
    return execute(bus, commands.AppointMember(community_id=community_id, by=body.by,
                                               user_id=body.user_id, role=MemberRole.moderator))


@router.post("/{community_id}/posts", status_code=201, responses=links.POST)
def create_post(community_id: IdPath, body: PostIn, bus: CoreDep, _: Writer) -> View:
    """Members post; 403 for others."""
    return execute(bus, commands.CreatePost(community_id=community_id, **body.model_dump()))


@router.get("/posts/{post_id}")
def get_post(post_id: IdPath, bus: CoreDep) -> View:
    return execute(bus, commands.GetPost(post_id=post_id))


@router.post("/posts/{post_id}/comments", status_code=201)
def create_comment(post_id: IdPath, body: CommentIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.CreateComment(post_id=post_id, author_id=body.author_id,
                                               body=body.body))


@router.post("/votes")
def vote(body: VoteIn, bus: CoreDep, _: Writer) -> View:
    """+1 or -1 on a post or comment; voting again replaces the user's vote."""
    return execute(bus, commands.CastVote(**body.model_dump()))


@router.post("/reports", status_code=202)
def report(body: ReportIn, bus: CoreDep, _: Writer) -> View:
    """Report a post or comment to the moderators (a `content_reported` event)."""
    return execute(bus, commands.ReportContent(**body.model_dump()))


@router.post("/moderation")
def moderate(body: ModerationIn, bus: CoreDep, _: Writer) -> View:
    """A moderator of the content's community removes or restores it; 403 for others."""
    return execute(bus, commands.Moderate(
        target_type=body.target_type, target_id=body.target_id,
        moderator_id=body.moderator_id, kind=body.action, reason=body.reason))
