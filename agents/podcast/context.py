"""The podcast context."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.context import PlainContext
from agents.podcast.logic import podcast_writes
from features.online import WriteBatch


class PodcastContext(PlainContext):
    name = "podcast"

    def __init__(self, *, once_ttl_s: float) -> None:
        self.once_ttl_s = once_ttl_s

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        podcast_writes(events, batch=batch, once_ttl_s=self.once_ttl_s)
