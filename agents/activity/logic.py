"""What every event says, whatever its domain: traffic per domain, active users, sessions,
recent interactions per user (the live history) and the funnel step of the session. Pure
functions; which event feeds which counter, step and history entry is declared with the event
(contracts/declaration.py) and read from the registry's tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from contracts.registry import EVENTS, Registry
from features import kpis as k
from features.buckets import minute_of, slot_of
from features.online import AddDistinct, IncrFields, PushRecent, SetFields, SetMissing, WriteBatch
from features.users import (
    RECENT_MAX,
    RECENT_TTL_S,
    SESSION_IDLE_S,
    encode_recent,
    recent_key,
    session_key,
)


def activity_writes(events: Sequence[Any], *, domain: str, batch: WriteBatch,
                    registry: Registry = EVENTS) -> None:
    """Add the domain-independent writes of a batch of valid events to `batch`.

    The live history gets one entry per item an interaction touches (every line of an
    order), with its signed weight: the same meaning as the training set's."""
    funnel_step, session_counter, touch = (registry.funnel, registry.session_counter,
                                           registry.touch)
    per_minute: dict[int, float] = defaultdict(float)
    slot_users: dict[int, set[str]] = defaultdict(set)
    minute_users: dict[int, set[str]] = defaultdict(set)
    funnel: dict[tuple[str, int], set[str]] = defaultdict(set)
    sessions: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    session_meta: dict[str, tuple[float, str, float]] = {}  # user -> last_at, session, first
    # (ts, item, event type, weight) per entry: a tuple, not a RecentInteraction, since the
    # entries only live until they are encoded below (one object fewer per event).
    recent: dict[tuple[Any, str], list[tuple[float, str, str, float]]] = defaultdict(list)
    for ev in events:
        ts = ev.occurred_at.timestamp()
        minute = minute_of(ts)
        per_minute[minute] += 1
        user = ev.user_id
        event_type = ev.event_type
        step = funnel_step.get(event_type)
        if step is not None and (ev.session_id or user):
            funnel[(step, minute)].add(ev.session_id or user)
        if user is None:
            continue
        slot_users[slot_of(ts)].add(user)
        minute_users[minute].add(user)
        counts = sessions[user]
        counts["events"] += 1
        if (counter := session_counter.get(event_type)) is not None:
            counts[counter] += 1
        last, sid, first = session_meta.get(user, (0.0, "", ts))
        if ts >= last:
            last, sid = ts, ev.session_id or sid
        session_meta[user] = (last, sid, min(first, ts))
        if (touches := touch.get(event_type)) is not None:
            for item, item_dom, weight in touches(ev):
                recent[(item_dom, user)].append((ts, item, event_type, weight))
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
        items.sort(key=_ts)
        batch.add(PushRecent(key=recent_key(str(dom), user),
                             values=[encode_recent(item_id=i, event_type=t, ts=ts, weight=w)
                                     for ts, i, t, w in items],
                             max_len=RECENT_MAX, ttl_s=RECENT_TTL_S))


_ts = itemgetter(0)


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
