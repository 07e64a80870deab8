"""What a bounded context plugs into the shared batch pipeline (`agents.pipeline`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents.outbox import Pending
from features.online import Effect, OnlineStore, WriteBatch


@dataclass(slots=True, kw_only=True)
class Decisions:
    """What `after` decided once the batch was written.

    `writes`: each once-only decision as one `Once(claim, effects + pending message)` on keys
    sharing the entity's hash tag. `outboxes`: the outbox keys of every entity the batch
    touched, drained after `writes` (so messages left by a crash are sent again)."""

    writes: WriteBatch = field(default_factory=WriteBatch)
    outboxes: list[str] = field(default_factory=list)


class Context(Protocol):
    name: str  # the agent's name and its domain

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        """Look up what the pure logic needs from the store (one round trip at most)."""

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        """Pure: add this context's writes for a batch of valid events."""

    async def after(self, events: Sequence[Any], store: OnlineStore, now: float) -> Decisions:
        """Read-after-write decisions (thresholds crossed): claims with their effects."""
        ...

    def settle(self, message: Pending, now: float) -> list[Effect]:
        """Writes made once `message` is delivered, with the removal of its record."""
        ...


class PlainContext:
    """A context with no lookups and no derived messages."""

    name = "plain"

    async def prepare(self, events: Sequence[Any], store: OnlineStore) -> None:
        return None

    def writes(self, events: Sequence[Any], batch: WriteBatch) -> None:
        return None

    async def after(self, events: Sequence[Any], store: OnlineStore, now: float) -> Decisions:
        return Decisions()

    def settle(self, message: Pending, now: float) -> list[Effect]:
        return []
