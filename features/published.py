"""What the stream knows of a post or an episode it saw published: its community (a post) or
its show (an episode), and when it was published, from the hashes the worker writes for
every `post_created` (`post:{<post_id>}`, features/community.py) and `episode_published`
(`episode:{<episode_id>}`, features/podcasts.py). Items published as events alone (a
replay, the demo's simulator) are known here and not to the core."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from features.community import post_key
from features.online import OnlineStore
from features.podcasts import episode_key

# the hash of each kind, its field naming the group and its field of the publication time
_KEYS = {"post": (post_key, "community_id", "created_at"),
         "episode": (episode_key, "show_id", "published_at")}
PUBLISHED_KINDS = frozenset(_KEYS)


@dataclass(frozen=True, slots=True)
class Published:
    group: str | None  # a post's community, an episode's show
    published_at: float | None  # epoch seconds


async def published_items(store: OnlineStore, item_ids: Sequence[str]
                          ) -> dict[str, Published]:
    """The posts and episodes among `item_ids` the stream saw published, one `get_many`."""
    asked = [(i, _KEYS[kind]) for i in dict.fromkeys(item_ids)
             if (kind := i.partition(":")[0]) in _KEYS and i.partition(":")[2]]
    if not asked:
        return {}
    rows = await store.get_many([key(i.partition(":")[2]) for i, (key, _, _) in asked])
    out: dict[str, Published] = {}
    for (item_id, (_, group, at)), row in zip(asked, rows, strict=True):
        if row:
            out[item_id] = Published(group=row.get(group) or None,
                                     published_at=_seconds(row.get(at)))
    return out


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) else None
