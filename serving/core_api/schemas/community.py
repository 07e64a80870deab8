"""Request bodies of /v1/communities and /v1/podcasts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import MAX_DURATION_S
from core.domain.communities import ModerationKind
from serving.core_api.schemas.common import PRINTED, Body, Id, Tags, Text, Title

Target = Literal["post", "comment"]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=PRINTED)]


class CommunityIn(Body):
    community_id: Id
    name: Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTED)]
    description: Text = ""
    owner_id: Id


class MemberIn(Body):
    user_id: Id


class ModeratorIn(Body):
    by: Id
    user_id: Id


class PostIn(Body):
    author_id: Id
    title: Title
    body: Text = ""
    tags: Tags = ()


class CommentIn(Body):
    author_id: Id
    body: Annotated[str, Field(min_length=1, max_length=100_000, pattern=PRINTED)]


class VoteIn(Body):
    target_type: Target
    target_id: Id
    user_id: Id
    value: Literal[1, -1]


class ReportIn(Body):
    target_type: Target
    target_id: Id
    user_id: Id
    reason: Reason


class ModerationIn(Body):
    target_type: Target
    target_id: Id
    moderator_id: Id
    action: ModerationKind
    reason: Reason


class ShowIn(Body):
    show_id: Id
    title: Title
    owner_id: Id
    description: Text = ""
    tags: Tags = ()


class EpisodeIn(Body):
    episode_id: Id
    title: Title
    duration_s: Annotated[float, Field(gt=0, le=MAX_DURATION_S, allow_inf_nan=False)]
    description: Text = ""
    tags: Tags = ()
