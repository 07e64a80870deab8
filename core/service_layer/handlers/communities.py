"""Community handlers: communities, memberships, posts, comments, votes, reports, moderation."""

from __future__ import annotations

from collections.abc import Callable

from core.domain.communities import (
    Comment,
    Community,
    Content,
    ContentStatus,
    ModerationAction,
    Post,
    Vote,
)
from core.domain.errors import Conflict, InvalidInput, InvalidTransition
from core.service_layer import commands, views
from core.service_layer.handlers.lookups import require
from core.service_layer.unit_of_work import UnitOfWork


def create_community(cmd: commands.CreateCommunity, uow: UnitOfWork) -> views.View:
    if uow.communities.get(cmd.community_id) is not None:
        raise Conflict(f"community {cmd.community_id!r} exists", field="community_id")
    community = Community(community_id=cmd.community_id, name=cmd.name, owner_id=cmd.owner_id,
                          description=cmd.description)
    uow.communities.add(community)
    return views.community(community)


def _community(uow: UnitOfWork, community_id: str, *, lock: bool = False) -> Community:
    return require(uow.communities, community_id, what="community", field="community_id",
                   for_update=lock)


def join_community(cmd: commands.JoinCommunity, uow: UnitOfWork) -> views.View:
    community = _community(uow, cmd.community_id, lock=True)
    community.join(cmd.user_id)
    return views.community(community)


def appoint_member(cmd: commands.AppointMember, uow: UnitOfWork) -> views.View:
    community = _community(uow, cmd.community_id, lock=True)
    community.appoint(by=cmd.by, user_id=cmd.user_id, role=cmd.role)
    return views.community(community)


def create_post(cmd: commands.CreatePost, uow: UnitOfWork,
                new_id: Callable[[], str]) -> views.View:
    _community(uow, cmd.community_id).require_member(cmd.author_id)
    post = Post(post_id=new_id(), community_id=cmd.community_id, author_id=cmd.author_id,
                title=cmd.title, body=cmd.body, tags=cmd.tags)
    uow.posts.add(post)
    return views.post(post)


def create_comment(cmd: commands.CreateComment, uow: UnitOfWork,
                   new_id: Callable[[], str]) -> views.View:
    post = require(uow.posts, cmd.post_id, what="post", field="post_id")
    if post.status != ContentStatus.visible:
        raise InvalidTransition(f"post {cmd.post_id} was removed", field="post_id")
    _community(uow, post.community_id).require_member(cmd.author_id)
    comment = Comment(comment_id=new_id(), post_id=post.post_id, author_id=cmd.author_id,
                      body=cmd.body)
    uow.comments.add(comment)
    return views.comment(comment)


def _target(uow: UnitOfWork, target_type: str, target_id: str) -> Content:
    if target_type == "post":
        return require(uow.posts, target_id, what="post", field="target_id", for_update=True)
    if target_type == "comment":
        return require(uow.comments, target_id, what="comment", field="target_id",
                       for_update=True)
    raise InvalidInput(f"cannot target a {target_type!r}", field="target_type")


def _view(target: Content) -> views.View:
    return views.post(target) if isinstance(target, Post) else views.comment(target)  # type: ignore[arg-type]


def cast_vote(cmd: commands.CastVote, uow: UnitOfWork) -> views.View:
    target = _target(uow, cmd.target_type, cmd.target_id)
    vote = uow.votes.get((cmd.target_type, cmd.target_id, cmd.user_id), for_update=True)
    if vote is None:
        target.vote(user_id=cmd.user_id, value=cmd.value)
        uow.votes.add(Vote(target_type=cmd.target_type, target_id=cmd.target_id,
                           user_id=cmd.user_id, value=cmd.value))
    elif vote.value != cmd.value:
        target.vote(user_id=cmd.user_id, value=cmd.value, previous=vote.value)
        vote.value = cmd.value
    return _view(target)


def report_content(cmd: commands.ReportContent, uow: UnitOfWork) -> views.View:
    target = _target(uow, cmd.target_type, cmd.target_id)
    target.report(user_id=cmd.user_id, reason=cmd.reason)
    return _view(target)


def moderate(cmd: commands.Moderate, uow: UnitOfWork, new_id: Callable[[], str]) -> views.View:
    target = _target(uow, cmd.target_type, cmd.target_id)
    post = target if isinstance(target, Post) else require(
        uow.posts, target.post_id, what="post", field="target_id")  # type: ignore[attr-defined]
    _community(uow, post.community_id).require_moderator(cmd.moderator_id)
    target.moderate(cmd.kind)
    uow.moderation.add(ModerationAction(
        action_id=new_id(), community_id=post.community_id, target_type=cmd.target_type,
        target_id=cmd.target_id, moderator_id=cmd.moderator_id, kind=cmd.kind,
        reason=cmd.reason))
    return _view(target)
