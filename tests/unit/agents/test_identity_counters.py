"""The identity context counts registrations and profile updates from their declarations."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from agents.identity.context import identity_writes
from contracts.events import parse_event
from features import kpis as k
from features.online import IncrFields, SetMissing, WriteBatch


def _event(event_type: str, n: int, **fields: object) -> object:
    return parse_event(orjson.dumps({
        "event_id": f"00000000-0000-4000-8000-{n:012d}", "event_type": event_type,
        "occurred_at": datetime(2026, 12, 2, 3, 0, n, tzinfo=UTC).isoformat(),
        "user_id": f"u{n}", **fields}))


def test_registrations_and_profile_updates_are_counted_once_each() -> None:
    events = [_event("user_registered", 1, country="DE", channel="web"),
              _event("user_registered", 2, country="FR", channel="app"),
              _event("user_profile_updated", 3, fields=["name"])]
    batch = WriteBatch()
    identity_writes(events, batch)
    totals = next(w for w in batch.writes
                  if isinstance(w, IncrFields) and w.key == k.TOTALS_KEY)
    assert totals.deltas == {k.REGISTRATIONS: 2, k.PROFILE_UPDATES: 1}
    profiles = [w for w in batch.writes if isinstance(w, SetMissing)]
    assert len(profiles) == 2 and profiles[0].values["country"] == "DE"
