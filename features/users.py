"""Per-user features: recent interactions per domain, the live session, the profile.

Keys (ids escaped in braces, `features.keys`: a user's keys share one hash tag):
- `recent:<domain>:{<user_id>}`: the last 50 interactions, newest first, JSON
  `{"item_id", "event_type", "ts", "weight"}`.
- `session:{<user_id>}`: the current session as a hash; it expires 30 minutes after the
  user's last event, which is when the session ends.
- `user:{<user_id>}`: registration facts (`registered_at`, `country`, `channel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from features.keys import escape, tag
from features.online import OnlineStore

RECENT_MAX = 50
RECENT_TTL_S = 30 * 86_400.0
SESSION_IDLE_S = 30 * 60.0
PROFILE_TTL_S = 400 * 86_400.0


def recent_key(domain: str, user_id: str) -> str:
    return f"recent:{escape(domain)}:{tag(user_id)}"


def session_key(user_id: str) -> str:
    return "session:" + tag(user_id)


def profile_key(user_id: str) -> str:
    return "user:" + tag(user_id)


def encode_recent(*, item_id: str, event_type: str, ts: float, weight: float) -> str:
    """A live-history entry as stored (the worker encodes its entries without building a
    `RecentInteraction` each: one object fewer per event)."""
    return orjson.dumps({"item_id": item_id, "event_type": event_type, "ts": ts,
                         "weight": weight}).decode()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecentInteraction:
    item_id: str
    event_type: str
    ts: float
    weight: float

    def encode(self) -> str:
        return encode_recent(item_id=self.item_id, event_type=self.event_type, ts=self.ts,
                             weight=self.weight)

    def as_dict(self) -> dict[str, str | float]:
        # Spelled out: dataclasses.asdict deep-copies and costs 5% of the worker's time.
        return {"item_id": self.item_id, "event_type": self.event_type, "ts": self.ts,
                "weight": self.weight}


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionState:
    user_id: str
    session_id: str
    started_at: float
    last_at: float
    events: int
    counts: dict[str, int]  # views, cart_adds, checkouts, orders, plays, posts, ...


async def recent_interactions(store: OnlineStore, user_id: str, domains: Sequence[str],
                              n: int = RECENT_MAX) -> list[RecentInteraction]:
    """The user's newest `n` interactions in each of `domains` (commerce, community,
    podcast), read in one round trip and merged newest first."""
    out = []
    for values in await store.recent_many([recent_key(d, user_id) for d in domains], n):
        for raw in values:
            try:
                out.append(RecentInteraction(**orjson.loads(raw)))
            except (orjson.JSONDecodeError, TypeError):
                continue
    out.sort(key=lambda r: r.ts, reverse=True)
    return out


async def session_state(store: OnlineStore, user_id: str) -> SessionState | None:
    """The user's session if they had an event in the last 30 minutes, else None."""
    fields = await store.get_fields(session_key(user_id))
    if "last_at" not in fields:
        return None
    meta = {"session_id", "started_at", "last_at", "events"}
    return SessionState(
        user_id=user_id,
        session_id=fields.get("session_id", ""),
        started_at=float(fields.get("started_at", fields["last_at"])),
        last_at=float(fields["last_at"]),
        events=int(float(fields.get("events", 0))),
        counts={k: int(float(v)) for k, v in fields.items() if k not in meta},
    )
