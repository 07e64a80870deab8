"""Community events: posts, comments, votes, membership, reports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id


class PostCreated(Envelope):
    event_type: Literal["post_created"] = "post_created"
    post_id: Id
    community_id: Id
    title: Annotated[str, Field(max_length=1000)]
    body: Annotated[str, Field(max_length=100_000)] = ""
    tags: tuple[Id, ...] = ()


class CommentCreated(Envelope):
    event_type: Literal["comment_created"] = "comment_created"
    comment_id: Id
    post_id: Id
    body: Annotated[str, Field(max_length=100_000)] = ""


class VoteCast(Envelope):
    event_type: Literal["vote_cast"] = "vote_cast"
    target_id: Id
    target_type: Literal["post", "comment"]
    value: Literal[1, -1]


class CommunityJoined(Envelope):
    event_type: Literal["community_joined"] = "community_joined"
    community_id: Id


class ContentReported(Envelope):
    event_type: Literal["content_reported"] = "content_reported"
    target_id: Id
    target_type: Literal["post", "comment"]
    reason: Annotated[str, Field(max_length=1000)]
