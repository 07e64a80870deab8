"""Podcast events: episodes published and played, shows followed."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id


class EpisodePublished(Envelope):
    event_type: Literal["episode_published"] = "episode_published"
    episode_id: Id
    show_id: Id
    title: Annotated[str, Field(max_length=1000)]
    description: Annotated[str, Field(max_length=100_000)] = ""
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    tags: tuple[Id, ...] = ()


class EpisodePlayed(Envelope):
    event_type: Literal["episode_played"] = "episode_played"
    episode_id: Id
    show_id: Id
    position_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class ShowSubscribed(Envelope):
    event_type: Literal["show_subscribed"] = "show_subscribed"
    show_id: Id


class ShowUnsubscribed(Envelope):
    event_type: Literal["show_unsubscribed"] = "show_unsubscribed"
    show_id: Id
