"""What every event says, whatever its domain: traffic per domain, active users, sessions,
recent interactions per user and the funnel step of the session. Pure functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from agents.trending.logic import INTERACTION_WEIGHTS
from contracts import item_domain, item_of
from features import kpis as k
from features.buckets import minute_of, slot_of
from features.online import AddDistinct, IncrFields, PushRecent, SetFields, SetMissing, WriteBatch
from features.users import (
    RECENT_MAX,
    RECENT_TTL_S,
    SESSION_IDLE_S,
    RecentInteraction,
    recent_key,
    session_key,
)

FUNNEL_STEP = {"product_viewed": "view", "cart_item_added": "cart",
               "checkout_started": "checkout", "order_placed": "purchase"}
# Per-session counters kept in the session hash.
SESSION_COUNTER = {"product_viewed": "views", "cart_item_added": "cart_adds",
                   "checkout_started": "checkouts", "order_placed": "orders",
                   "episode_played": "plays", "post_created": "posts",
                   "comment_created": "comments", "vote_cast": "votes",
                   "recommendation_clicked": "rec_clicks"}


def activity_writes(events: Sequence[Any], *, domain: str, batch: WriteBatch) -> None:
    """Add the domain-independent writes of a batch of valid events to `batch`."""
    per_minute: dict[int, float] = defaultdict(float)
    slot_users: dict[int, set[str]] = defaultdict(set)
    minute_users: dict[int, set[str]] = defaultdict(set)
    funnel: dict[tuple[str, int], set[str]] = defaultdict(set)
    sessions: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    session_meta: dict[str, tuple[float, str, float]] = {}  # user -> last_at, session, first
    recent: dict[tuple[Any, str], list[RecentInteraction]] = defaultdict(list)
    for ev in events:
        ts = ev.occurred_at.timestamp()
        minute = minute_of(ts)
        per_minute[minute] += 1
        user = ev.user_id
        step = FUNNEL_STEP.get(ev.event_type)
        if step is not None and (ev.session_id or user):
            funnel[(step, minute)].add(ev.session_id or user)
        if user is None:
            continue
        slot_users[slot_of(ts)].add(user)
        minute_users[minute].add(user)
        counts = sessions[user]
        counts["events"] += 1
        if (counter := SESSION_COUNTER.get(ev.event_type)) is not None:
            counts[counter] += 1
        last, sid, first = session_meta.get(user, (0.0, "", ts))
        if ts >= last:
            last, sid = ts, ev.session_id or sid
        session_meta[user] = (last, sid, min(first, ts))
        weight = INTERACTION_WEIGHTS.get(ev.event_type)
        item = item_of(ev)
        item_dom = item_domain(item) if item else None
        if weight is not None and item is not None and item_dom is not None:
            recent[(item_dom, user)].append(RecentInteraction(
                item_id=item, event_type=ev.event_type, ts=ts, weight=weight))
    field = k.events_field(domain)
    for minute, n in per_minute.items():
        batch.add(IncrFields(key=k.stats_key(minute), deltas={field: n}, ttl_s=k.STATS_TTL_S))
    batch.add(IncrFields(key=k.TOTALS_KEY, deltas={field: float(len(events))}))
    for slot, users in slot_users.items():
        batch.add(AddDistinct(key=k.active_slot_key(slot), members=sorted(users),
                              ttl_s=k.ACTIVE_SLOT_TTL_S))
    for minute, users in minute_users.items():
        batch.add(AddDistinct(key=k.active_minute_key(minute), members=sorted(users),
                              ttl_s=k.ACTIVE_MINUTE_TTL_S))
    for (step, minute), sids in funnel.items():
        batch.add(AddDistinct(key=k.funnel_key(step, minute), members=sorted(sids),
                              ttl_s=k.FUNNEL_TTL_S))
    for user, counts in sessions.items():
        last, sid, first = session_meta[user]
        key = session_key(user)
        batch.add(SetMissing(key=key, values={"started_at": first}, ttl_s=SESSION_IDLE_S))
        batch.add(SetFields(key=key, values={"last_at": last, "session_id": sid},
                            ttl_s=SESSION_IDLE_S))
        batch.add(IncrFields(key=key, deltas=dict(counts), ttl_s=SESSION_IDLE_S))
    for (dom, user), items in recent.items():
        items.sort(key=lambda it: it.ts)
        batch.add(PushRecent(key=recent_key(str(dom), user), values=[i.encode() for i in items],
                             max_len=RECENT_MAX, ttl_s=RECENT_TTL_S))


def counter_writes(counts: dict[int, dict[str, float]], batch: WriteBatch) -> None:
    """Approximate (at-least-once) per-minute counters and their totals."""
    totals: dict[str, float] = defaultdict(float)
    for minute, fields in counts.items():
        if fields:
            batch.add(IncrFields(key=k.stats_key(minute), deltas=dict(fields),
                                 ttl_s=k.STATS_TTL_S))
        for f, v in fields.items():
            totals[f] += v
    if totals:
        batch.add(IncrFields(key=k.TOTALS_KEY, deltas=dict(totals)))
