"""Podcast features: per-show plays, listen-through and subscribers; episodes published.

- `show:{<show_id>}` hash: `plays`, `completions`, `listen_fraction` (sum of the share of the
  episode reached per play), `subscribers` (subscribes minus unsubscribes, once per event id);
  it expires 400 days after the show's last play or subscription.
- `episode:{<episode_id>}` hash: `show_id`, `title`, `duration_s`, `published_at`.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.keys import tag
from features.online import OnlineStore

SHOW_TTL_S = 400 * 86_400.0
EPISODE_TTL_S = 365 * 86_400.0


def show_key(show_id: str) -> str:
    return "show:" + tag(show_id)


def episode_key(episode_id: str) -> str:
    return "episode:" + tag(episode_id)


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
