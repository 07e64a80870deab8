"""Podcasts: shows and their episodes."""

from __future__ import annotations

from collections.abc import Iterable

from core.domain.aggregate import Aggregate
from core.domain.errors import Conflict, InvalidInput
from core.domain.events import EpisodePublished


class Episode:
    def __init__(self, *, episode_id: str, show_id: str, title: str, duration_s: float,
                 description: str = "", tags: Iterable[str] = ()) -> None:
        self.episode_id = episode_id
        self.show_id = show_id
        self.title = title
        self.description = description
        self.duration_s = duration_s
        self.tags = list(tags)


class Show(Aggregate):
    def __init__(self, *, show_id: str, title: str, owner_id: str, description: str = "",
                 tags: Iterable[str] = ()) -> None:
        self.show_id = show_id
        self.title = title
        self.owner_id = owner_id
        self.description = description
        self.tags = list(tags)
        self.episodes: list[Episode] = []
        self.version = 1

    def publish(self, *, episode_id: str, title: str, duration_s: float, description: str = "",
                tags: Iterable[str] = ()) -> Episode:
        if duration_s <= 0:
            raise InvalidInput("duration_s must be positive", field="duration_s")
        if any(e.episode_id == episode_id for e in self.episodes):
            raise Conflict(f"episode {episode_id} exists", field="episode_id")
        episode = Episode(episode_id=episode_id, show_id=self.show_id, title=title,
                          duration_s=duration_s, description=description, tags=tags)
        self.episodes.append(episode)
        self.record(EpisodePublished(episode_id=episode_id, show_id=self.show_id, title=title,
                                     description=description, duration_s=duration_s,
                                     tags=tuple(episode.tags), user_id=self.owner_id))
        return episode
