"""The identity context: registrations and profile updates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from agents.activity.logic import counter_writes
from agents.context import PlainContext
from contracts import EVENTS, EventDomain
from features.buckets import minute_of
from features.online import SetMissing, WriteBatch
from features.users import PROFILE_TTL_S, profile_key

COUNTER = EVENTS.counters(EventDomain.identity)  # event type -> its per-minute counter


def identity_writes(events: Sequence[Any], batch: WriteBatch) -> None:
    counts: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for ev in events:
        ts = ev.occurred_at.timestamp()
        if (counter := COUNTER.get(ev.event_type)) is not None:
            counts[minute_of(ts)][counter] += 1
        if ev.event_type == "user_registered" and ev.user_id:
            batch.add(SetMissing(key=profile_key(ev.user_id), ttl_s=PROFILE_TTL_S, values={
                "registered_at": ts, "country": ev.country, "channel": ev.channel}))
    counter_writes(counts, batch)


class IdentityContext(PlainContext):
    name = "identity"

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        identity_writes(events, batch)
