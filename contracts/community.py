"""Community events: posts, comments, votes, membership, reports.

Titles and reasons up to 1,000 characters, bodies up to 100,000, at most 50 tags.
"""

from __future__ import annotations

from typing import Literal

from contracts.envelope import Envelope, Id, Line, Tags, Text


class PostCreated(Envelope):
    event_type: Literal["post_created"] = "post_created"
    post_id: Id
    community_id: Id
    title: Line
    body: Text = ""
    tags: Tags = ()


class CommentCreated(Envelope):
    event_type: Literal["comment_created"] = "comment_created"
    comment_id: Id
    post_id: Id
    body: Text = ""


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
    reason: Line
