"""Request and response bodies of /v1/communities and /v1/podcasts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import MAX_DURATION_S
from core.domain.communities import ContentStatus, MemberRole, ModerationKind
from serving.core_api.schemas.fields import PRINTED, Answer, Body, Id, Tags, Text, Title

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


class MemberOut(Answer):
    user_id: str
    role: MemberRole


class CommunityOut(Answer):
    community_id: str
    name: str
    description: str
    members: list[MemberOut]


class PostOut(Answer):
    post_id: str
    community_id: str
    author_id: str
    title: str
    body: str
    tags: list[str]
    score: int
    status: ContentStatus


class CommentOut(Answer):
    comment_id: str
    post_id: str
    author_id: str
    body: str
    score: int
    status: ContentStatus


ContentOut = PostOut | CommentOut
"""What a vote, a report or a moderation answers: the post or comment it targets."""


class EpisodeOut(Answer):
    episode_id: str
    show_id: str
    title: str
    description: str
    duration_s: float
    tags: list[str]


class ShowOut(Answer):
    show_id: str
    title: str
    owner_id: str
    description: str
    tags: list[str]
    episodes: list[EpisodeOut]
