"""Communities: communities with memberships and roles, posts, comments, votes, moderation."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from core.domain.aggregate import Aggregate
from core.domain.errors import Conflict, Forbidden, InvalidInput
from core.domain.events import (
    CommentCreated,
    CommunityJoined,
    ContentReported,
    PostCreated,
    VoteCast,
)


class MemberRole(StrEnum):
    member = "member"
    moderator = "moderator"
    owner = "owner"


class ContentStatus(StrEnum):
    visible = "visible"
    removed = "removed"


class ModerationKind(StrEnum):
    remove = "remove"
    restore = "restore"


class Membership:
    def __init__(self, *, user_id: str, role: MemberRole) -> None:
        self.user_id = user_id
        self.role = role.value


class Community(Aggregate):
    def __init__(self, *, community_id: str, name: str, owner_id: str,
                 description: str = "") -> None:
        self.community_id = community_id
        self.name = name
        self.description = description
        self.memberships = [Membership(user_id=owner_id, role=MemberRole.owner)]
        self.version = 1
        self.record(CommunityJoined(community_id=community_id, user_id=owner_id))

    def role_of(self, user_id: str) -> MemberRole | None:
        for m in self.memberships:
            if m.user_id == user_id:
                return MemberRole(m.role)
        return None

    def join(self, user_id: str) -> None:
        if self.role_of(user_id) is not None:
            raise Conflict(f"{user_id} is already a member", field="user_id")
        self.memberships.append(Membership(user_id=user_id, role=MemberRole.member))
        self.record(CommunityJoined(community_id=self.community_id, user_id=user_id))

    def require_member(self, user_id: str) -> None:
        if self.role_of(user_id) is None:
            raise Forbidden(f"{user_id} is not a member of {self.community_id}", field="author_id")

    def require_moderator(self, user_id: str) -> None:
        if self.role_of(user_id) not in (MemberRole.moderator, MemberRole.owner):
            raise Forbidden(f"{user_id} does not moderate {self.community_id}",
                            field="moderator_id")

    def appoint(self, *, by: str, user_id: str, role: MemberRole) -> None:
        if self.role_of(by) != MemberRole.owner:
            raise Forbidden(f"only the owner of {self.community_id} appoints", field="by")
        for m in self.memberships:
            if m.user_id == user_id:
                m.role = role.value
                return
        raise InvalidInput(f"{user_id} is not a member", field="user_id")


class Content(Aggregate):
    """What members write (posts, comments): it has a score and can be moderated."""

    kind: str
    score: int
    status: str

    @property
    def content_id(self) -> str:
        raise NotImplementedError

    def moderate(self, kind: ModerationKind) -> None:
        self.status = (ContentStatus.removed if kind is ModerationKind.remove
                       else ContentStatus.visible).value

    def vote(self, *, user_id: str, value: int, previous: int = 0) -> None:
        if value not in (1, -1):
            raise InvalidInput("a vote is +1 or -1", field="value")
        self.score += value - previous
        self.record(VoteCast(target_id=self.content_id, target_type=self.kind, value=value,
                             user_id=user_id))

    def report(self, *, user_id: str, reason: str) -> None:
        self.record(ContentReported(target_id=self.content_id, target_type=self.kind,
                                    reason=reason, user_id=user_id))


class Post(Content):
    kind = "post"

    def __init__(self, *, post_id: str, community_id: str, author_id: str, title: str,
                 body: str = "", tags: Iterable[str] = ()) -> None:
        self.post_id = post_id
        self.community_id = community_id
        self.author_id = author_id
        self.title = title
        self.body = body
        self.tags = list(tags)
        self.score = 0
        self.status = ContentStatus.visible.value
        self.version = 1
        self.record(PostCreated(post_id=post_id, community_id=community_id, title=title,
                                body=body, tags=tuple(self.tags), user_id=author_id))

    @property
    def content_id(self) -> str:
        return self.post_id


class Comment(Content):
    kind = "comment"

    def __init__(self, *, comment_id: str, post_id: str, author_id: str, body: str) -> None:
        self.comment_id = comment_id
        self.post_id = post_id
        self.author_id = author_id
        self.body = body
        self.score = 0
        self.status = ContentStatus.visible.value
        self.version = 1
        self.record(CommentCreated(comment_id=comment_id, post_id=post_id, body=body,
                                   user_id=author_id))

    @property
    def content_id(self) -> str:
        return self.comment_id


class Vote:
    """One member's vote on one post or comment; voting again replaces it."""

    def __init__(self, *, target_type: str, target_id: str, user_id: str, value: int) -> None:
        self.target_type = target_type
        self.target_id = target_id
        self.user_id = user_id
        self.value = value


class ModerationAction:
    def __init__(self, *, action_id: str, community_id: str, target_type: str, target_id: str,
                 moderator_id: str, kind: ModerationKind, reason: str) -> None:
        self.action_id = action_id
        self.community_id = community_id
        self.target_type = target_type
        self.target_id = target_id
        self.moderator_id = moderator_id
        self.kind = kind.value
        self.reason = reason
