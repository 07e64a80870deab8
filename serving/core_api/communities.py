"""/v1/communities: communities, members, posts, comments, votes, reports, moderation.

The storefront acts for its users: bodies name the acting user (`author_id`, `user_id`, ...);
the API key says the caller may do so.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from core.domain.communities import MemberRole
from core.service_layer import commands, reads
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, read
from serving.core_api.schemas.community import (
    CommentIn,
    CommentOut,
    CommunityIn,
    CommunityOut,
    ContentOut,
    MemberIn,
    ModerationIn,
    ModeratorIn,
    PostIn,
    PostOut,
    ReportIn,
    VoteIn,
)
from serving.core_api.schemas.fields import IdPath
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/communities", tags=["communities"], responses=ERRORS)
Writer = Annotated[Principal, Depends(require_scope("communities:write"))]


@router.post("", status_code=201, response_model=CommunityOut,
             responses={**links.COMMUNITY, **CONFLICT})
def create_community(body: CommunityIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.CreateCommunity(**body.model_dump()))


@router.get("/{community_id}", response_model=CommunityOut)
def get_community(community_id: IdPath, bus: CoreDep) -> View:
    return read(bus, reads.get_community, community_id=community_id)


@router.post("/{community_id}/members", status_code=201, response_model=CommunityOut,
             responses=CONFLICT)
def join(community_id: IdPath, body: MemberIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.JoinCommunity(community_id=community_id, user_id=body.user_id))


@router.post("/{community_id}/moderators", response_model=CommunityOut, responses=CONFLICT)
def appoint_moderator(community_id: IdPath, body: ModeratorIn, bus: CoreDep, _: Writer) -> View:
    """The owner (`by`) makes a member a moderator."""
    return execute(bus, commands.AppointMember(community_id=community_id, by=body.by,
                                               user_id=body.user_id, role=MemberRole.moderator))


@router.post("/{community_id}/posts", status_code=201, response_model=PostOut,
             responses={**links.POST, **CONFLICT})
def create_post(community_id: IdPath, body: PostIn, bus: CoreDep, _: Writer) -> View:
    """Members post; 403 for others."""
    return execute(bus, commands.CreatePost(community_id=community_id, **body.model_dump()))


@router.get("/posts/{post_id}", response_model=PostOut)
def get_post(post_id: IdPath, bus: CoreDep) -> View:
    return read(bus, reads.get_post, post_id=post_id)


@router.post("/posts/{post_id}/comments", status_code=201, response_model=CommentOut,
             responses=CONFLICT)
def create_comment(post_id: IdPath, body: CommentIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.CreateComment(post_id=post_id, author_id=body.author_id,
                                               body=body.body))


@router.post("/votes", response_model=ContentOut, responses=CONFLICT)
def vote(body: VoteIn, bus: CoreDep, _: Writer) -> View:
    """+1 or -1 on a post or comment; voting again replaces the user's vote."""
    return execute(bus, commands.CastVote(**body.model_dump()))


@router.post("/reports", status_code=202, response_model=ContentOut, responses=CONFLICT)
def report(body: ReportIn, bus: CoreDep, _: Writer) -> View:
    """Report a post or comment to the moderators (a `content_reported` event)."""
    return execute(bus, commands.ReportContent(**body.model_dump()))


@router.post("/moderation", response_model=ContentOut, responses=CONFLICT)
def moderate(body: ModerationIn, bus: CoreDep, _: Writer) -> View:
    """A moderator of the content's community removes or restores it; 403 for others."""
    return execute(bus, commands.Moderate(
        target_type=body.target_type, target_id=body.target_id,
        moderator_id=body.moderator_id, kind=body.action, reason=body.reason))
