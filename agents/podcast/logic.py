"""Podcasts: plays, listen-through and subscribers per show. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from agents.activity.logic import counter_writes
from contracts import EVENTS, EventDomain
from features import kpis as k
from features.buckets import minute_of
from features.item_texts import item_words, text_write
from features.online import IncrFields, Once, SetFields, WriteBatch
from features.podcasts import EPISODE_TTL_S, SHOW_TTL_S, episode_key, show_key

# Publications and (un)subscriptions, counted as declared (`counter`); plays below.
COUNTER = EVENTS.counters(EventDomain.podcast)


def podcast_writes(events: Sequence[Any], *, batch: WriteBatch, once_ttl_s: float) -> None:
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    shows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        minute = minute_of(ev.occurred_at.timestamp())
        t = ev.event_type
        if (counter := COUNTER.get(t)) is not None:
            counts[minute][counter] += 1
        if t == "episode_played":
            share = min(ev.position_s / ev.duration_s, 1.0)
            done = 1.0 if share >= k.COMPLETION_SHARE else 0.0
            for target in (counts[minute], shows[ev.show_id]):
                target[k.PLAYS] += 1
                target[k.COMPLETIONS] += done
                target[k.LISTEN_FRACTION] += share
        elif t in ("show_subscribed", "show_unsubscribed"):
            sub = t == "show_subscribed"
            batch.add(Once(token=str(ev.event_id), ttl_s=once_ttl_s, writes=[IncrFields(
                key=show_key(ev.show_id), deltas={"subscribers": 1 if sub else -1},
                ttl_s=SHOW_TTL_S)]))
        elif t == "episode_published":
            batch.add(SetFields(key=episode_key(ev.episode_id), ttl_s=EPISODE_TTL_S, values={
                "show_id": ev.show_id, "title": ev.title, "duration_s": ev.duration_s,
                "published_at": ev.occurred_at.timestamp()}))
            batch.add(text_write(f"episode:{ev.episode_id}", category=ev.show_id,
                                 text=item_words(ev.title, ev.description, ev.show_id,
                                                 tags=ev.tags)))
    counter_writes(counts, batch)
    for show, fields in shows.items():
        batch.add(IncrFields(key=show_key(show), deltas=dict(fields), ttl_s=SHOW_TTL_S))
