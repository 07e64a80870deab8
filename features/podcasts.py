"""Podcast features: per-show plays, listen-through and subscribers.

- `show:<show_id>` hash: `plays`, `completions`, `listen_fraction` (sum of the share of the
  episode reached per play), `subscribers` (subscribes minus unsubscribes, once per event id).
"""

from __future__ import annotations

from dataclasses import dataclass

from features.online import OnlineStore


def show_key(show_id: str) -> str:
    return f"show:{show_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowStats:
    show_id: str
    plays: int
    listen_through_rate: float  # share of plays that reached 90% of the episode
    mean_listened: float  # mean share of the episode reached
    subscribers: int


async def show_stats(store: OnlineStore, show_id: str) -> ShowStats:
    f = await store.get_fields(show_key(show_id))
    plays = int(float(f.get("plays", 0)))
    return ShowStats(
        show_id=show_id,
        plays=plays,
        listen_through_rate=float(f.get("completions", 0)) / plays if plays else 0.0,
        mean_listened=float(f.get("listen_fraction", 0)) / plays if plays else 0.0,
        subscribers=int(float(f.get("subscribers", 0))),
    )
