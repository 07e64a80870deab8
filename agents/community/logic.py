"""Community counters per community and minute, hot posts, and moderation signals. Pure."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from agents.activity.logic import counter_writes
from contracts import EVENTS, EventDomain
from features import kpis as k
from features.buckets import minute_of
from features.community import (
    HOT_EPOCH_S,
    HOT_TTL_S,
    POST_TTL_S,
    POSTRATE_TTL_S,
    REPORTS_TTL_S,
    hot_key,
    post_key,
    postrate_key,
    reports_key,
)
from features.item_texts import item_words, text_write
from features.online import IncrFields, IncrScores, SetFields, WriteBatch
from features.trending import decay_factor, decay_time, epoch_of

# Every community event's counter (declared `counter`), overall and per community.
FIELD = EVENTS.counters(EventDomain.community)


def community_of(ev: Any, posts: Mapping[str, str]) -> str | None:
    t = ev.event_type
    if t in ("post_created", "community_joined"):
        return str(ev.community_id)
    if t == "comment_created":
        return posts.get(ev.post_id)
    if t in ("vote_cast", "content_reported") and ev.target_type == "post":
        return posts.get(ev.target_id)
    return None


def community_writes(events: Sequence[Any], *, posts: Mapping[str, str], batch: WriteBatch,
                     half_life_s: float, now: float | None = None) -> None:
    """`now` (the worker's clock) bounds the decay time of votes, as in trending."""
    now = time.time() if now is None else now
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_community: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    hot: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        ts = ev.occurred_at.timestamp()
        minute = minute_of(ts)
        field = FIELD[ev.event_type]
        counts[minute][field] += 1
        if (community := community_of(ev, posts)) is not None:
            per_community[minute][k.community_field(community, field)] += 1
        t = ev.event_type
        if t == "post_created":
            batch.add(SetFields(key=post_key(ev.post_id), ttl_s=POST_TTL_S, values={
                "community_id": ev.community_id, "author": ev.user_id or "", "created_at": ts}))
            batch.add(text_write(f"post:{ev.post_id}", category=ev.community_id,
                                 text=item_words(ev.title, ev.body, ev.community_id,
                                                 tags=ev.tags)))
            if ev.user_id:
                batch.add(SetFields(key=postrate_key(ev.user_id, minute), values={ev.post_id: ts},
                                    ttl_s=POSTRATE_TTL_S))
        elif t == "vote_cast" and ev.target_type == "post":
            at = decay_time(ts, now)
            epoch = epoch_of(at, HOT_EPOCH_S)
            for e in (epoch, epoch + 1):
                hot[e][ev.target_id] += ev.value * decay_factor(at, e, half_life_s, HOT_EPOCH_S)
        elif t == "content_reported":
            reporter = ev.user_id or f"anonymous:{ev.event_id}"
            batch.add(SetFields(key=reports_key(ev.target_id), values={reporter: ts},
                                ttl_s=REPORTS_TTL_S))
    counter_writes(counts, batch)
    for minute, fields in per_community.items():
        batch.add(IncrFields(key=k.community_key(minute), deltas=dict(fields),
                             ttl_s=k.STATS_TTL_S))
    for epoch, deltas in hot.items():
        batch.add(IncrScores(key=hot_key(epoch), deltas=dict(deltas), ttl_s=HOT_TTL_S))


def posts_to_resolve(events: Sequence[Any]) -> set[str]:
    """Posts whose community the batch needs (comments, votes and reports on posts)."""
    out = set()
    for ev in events:
        if ev.event_type == "comment_created":
            out.add(ev.post_id)
        elif ev.event_type in ("vote_cast", "content_reported") and ev.target_type == "post":
            out.add(ev.target_id)
    return out


def texts(events: Sequence[Any]) -> list[tuple[str, str, str]]:
    """(target, user, text) of the posts and comments in a batch, for the text scorer."""
    out = []
    for ev in events:
        if ev.event_type == "post_created":
            out.append((f"post:{ev.post_id}", ev.user_id or "", f"{ev.title}\n{ev.body}"))
        elif ev.event_type == "comment_created":
            out.append((f"comment:{ev.comment_id}", ev.user_id or "", ev.body))
    return out
