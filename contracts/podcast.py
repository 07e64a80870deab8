"""Podcast events: episodes published and played, shows followed.

Durations and positions are seconds from 0 to 10^6 (11.6 days); at most 50 tags. The
listener's own acts (plays, subscriptions) are the storefront's to report; a publication is
a fact the core records (`POST /v1/podcasts/...`).
"""

from __future__ import annotations

from typing import Literal

from contracts.declaration import (
    FACTS,
    STOREFRONT,
    Completion,
    EventDomain,
    EventSpec,
    Interaction,
    ItemRef,
)
from contracts.envelope import Duration, Envelope, Id, Line, Seconds, Tags, Text

PODCAST = EventDomain.podcast
EPISODE = ItemRef(kind="episode", field="episode_id")
SHOW = ItemRef(kind="show", field="show_id")
# A play counts as a complete listen from this share of the episode on.
COMPLETE_SHARE = 0.9


class EpisodePublished(Envelope):
    event_type: Literal["episode_published"] = "episode_published"
    episode_id: Id
    show_id: Id
    title: Line
    description: Text = ""
    duration_s: Duration
    tags: Tags = ()


EPISODE_PUBLISHED = EventSpec(
    schema=EpisodePublished, domain=PODCAST, key="episode_id", publisher=FACTS, item=EPISODE,
    counter="episodes")


class EpisodePlayed(Envelope):
    event_type: Literal["episode_played"] = "episode_played"
    episode_id: Id
    show_id: Id
    position_s: Seconds
    duration_s: Duration


EPISODE_PLAYED = EventSpec(
    # Plays are counted with their listen-through (agents/podcast/logic.py), not by `counter`.
    schema=EpisodePlayed, domain=PODCAST, key="episode_id", publisher=STOREFRONT, item=EPISODE,
    interaction=Interaction(weight=1.0, excludes=True, completion=Completion(
        position="position_s", duration="duration_s", share=COMPLETE_SHARE, weight=4.0)),
    session_counter="plays")


class ShowSubscribed(Envelope):
    event_type: Literal["show_subscribed"] = "show_subscribed"
    show_id: Id


SHOW_SUBSCRIBED = EventSpec(
    schema=ShowSubscribed, domain=PODCAST, key="show_id", publisher=STOREFRONT, item=SHOW,
    interaction=Interaction(weight=3.0), counter="subscriptions")


class ShowUnsubscribed(Envelope):
    event_type: Literal["show_unsubscribed"] = "show_unsubscribed"
    show_id: Id


SHOW_UNSUBSCRIBED = EventSpec(
    schema=ShowUnsubscribed, domain=PODCAST, key="show_id", publisher=STOREFRONT, item=SHOW,
    interaction=Interaction(weight=-3.0), counter="unsubscriptions")

SPECS = (EPISODE_PUBLISHED, EPISODE_PLAYED, SHOW_SUBSCRIBED, SHOW_UNSUBSCRIBED)
