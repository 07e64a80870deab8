"""Podcast events: episodes published and played, shows followed.

Durations and positions are seconds from 0 to 10^6 (11.6 days); at most 50 tags.
"""

from __future__ import annotations

from typing import Literal

from contracts.envelope import Duration, Envelope, Id, Line, Seconds, Tags, Text


class EpisodePublished(Envelope):
    event_type: Literal["episode_published"] = "episode_published"
    episode_id: Id
    show_id: Id
    title: Line
    description: Text = ""
    duration_s: Duration
    tags: Tags = ()


class EpisodePlayed(Envelope):
    event_type: Literal["episode_played"] = "episode_played"
    episode_id: Id
    show_id: Id
    position_s: Seconds
    duration_s: Duration


class ShowSubscribed(Envelope):
    event_type: Literal["show_subscribed"] = "show_subscribed"
    show_id: Id


class ShowUnsubscribed(Envelope):
    event_type: Literal["show_unsubscribed"] = "show_unsubscribed"
    show_id: Id
