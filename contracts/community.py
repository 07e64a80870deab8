"""Community events: posts, comments, votes, membership, reports.

Titles and reasons up to 1,000 characters, bodies up to 100,000, at most 50 tags. Every one is
a fact the core records (`POST /v1/communities/...`): a storefront casts a vote or reports
content through those routes, not as a bare event, so publishing one needs `events:facts`.
"""

from __future__ import annotations

from typing import Literal

from contracts.declaration import FACTS, EventDomain, EventSpec, Interaction, ItemRef
from contracts.envelope import Envelope, Id, Line, Tags, Text

COMMUNITY = EventDomain.community
POST = ItemRef(kind="post", field="post_id")


class PostCreated(Envelope):
    event_type: Literal["post_created"] = "post_created"
    post_id: Id
    community_id: Id
    title: Line
    body: Text = ""
    tags: Tags = ()


POST_CREATED = EventSpec(
    schema=PostCreated, domain=COMMUNITY, key="post_id", publisher=FACTS,
    item=POST, interaction=Interaction(weight=3.0), session_counter="posts", counter="posts")


class CommentCreated(Envelope):
    event_type: Literal["comment_created"] = "comment_created"
    comment_id: Id
    post_id: Id
    body: Text = ""


COMMENT_CREATED = EventSpec(
    schema=CommentCreated, domain=COMMUNITY, key="post_id", publisher=FACTS,
    item=POST, interaction=Interaction(weight=2.0),
    session_counter="comments", counter="comments")


class VoteCast(Envelope):
    event_type: Literal["vote_cast"] = "vote_cast"
    target_id: Id
    target_type: Literal["post", "comment"]
    value: Literal[1, -1]


VOTE_CAST = EventSpec(
    schema=VoteCast, domain=COMMUNITY, key="target_id", publisher=FACTS,
    item=ItemRef(kind_field="target_type", field="target_id"),
    interaction=Interaction(weight=1.5, sign_field="value", against=-2.0),
    session_counter="votes", counter="votes")


class CommunityJoined(Envelope):
    event_type: Literal["community_joined"] = "community_joined"
    community_id: Id


COMMUNITY_JOINED = EventSpec(
    schema=CommunityJoined, domain=COMMUNITY, key="community_id", publisher=FACTS,
    item=ItemRef(kind="community", field="community_id"), interaction=Interaction(weight=2.0),
    counter="joins")


class ContentReported(Envelope):
    event_type: Literal["content_reported"] = "content_reported"
    target_id: Id
    target_type: Literal["post", "comment"]
    reason: Line


CONTENT_REPORTED = EventSpec(
    schema=ContentReported, domain=COMMUNITY, key="target_id", publisher=FACTS,
    counter="reports")

SPECS = (POST_CREATED, COMMENT_CREATED, VOTE_CAST, COMMUNITY_JOINED, CONTENT_REPORTED)
