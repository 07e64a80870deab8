"""Podcast handlers: shows and episodes."""

from __future__ import annotations

from core.domain.errors import Conflict
from core.domain.podcasts import Show
from core.service_layer import commands, views
from core.service_layer.handlers.lookups import require
from core.service_layer.unit_of_work import UnitOfWork


def create_show(cmd: commands.CreateShow, uow: UnitOfWork) -> views.View:
    if uow.shows.get(cmd.show_id) is not None:
        raise Conflict(f"show {cmd.show_id!r} exists", field="show_id")
    show = Show(show_id=cmd.show_id, title=cmd.title, owner_id=cmd.owner_id,
                description=cmd.description, tags=cmd.tags)
    uow.shows.add(show)
    return views.show(show)


def publish_episode(cmd: commands.PublishEpisode, uow: UnitOfWork) -> views.View:
    show = require(uow.shows, cmd.show_id, what="show", field="show_id", for_update=True)
    episode = show.publish(episode_id=cmd.episode_id, title=cmd.title,
                           duration_s=cmd.duration_s, description=cmd.description,
                           tags=cmd.tags)
    return views.episode(episode)
