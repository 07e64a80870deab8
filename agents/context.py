"""What a bounded context plugs into the shared batch pipeline (`agents.pipeline`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from features.online import OnlineStore, WriteBatch


@dataclass(frozen=True, slots=True)
class Outbound:
    """A derived message (a low-stock alert, a moderation flag) to send after the write."""

    topic: str
    key: bytes
    value: bytes


class Context(Protocol):
    name: str  # the agent's name and its domain

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        """Look up what the pure logic needs from the store (one round trip at most)."""

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        """Pure: add this context's writes for a batch of valid events."""

    async def after(self, events: Sequence[Any], store: OnlineStore,
                    now: float) -> tuple[WriteBatch, list[Outbound]]:
        """Read-after-write decisions (thresholds crossed): more writes and messages."""
        ...


class PlainContext:
    """A context with no lookups and no derived messages."""

    name = "plain"

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        return None

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        return None

    async def after(self, events: Sequence[Any], store: OnlineStore,
                    now: float) -> tuple[WriteBatch, list[Outbound]]:
        return WriteBatch(), []
