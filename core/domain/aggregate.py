"""Aggregate root: carries a version and records domain events until they reach the outbox."""

from __future__ import annotations

from core.domain.events import DomainEvent


class Aggregate:
    """Base for aggregate roots. Mappers may skip `__init__`, so events are created lazily."""

    version: int

    def _pending(self) -> list[DomainEvent]:
        events: list[DomainEvent] | None = self.__dict__.get("_events")
        if events is None:
            events = []
            self.__dict__["_events"] = events
        return events

    def record(self, event: DomainEvent) -> None:
        self._pending().append(event)

    def take_events(self) -> list[DomainEvent]:
        """Hand the recorded events over (to the outbox) and forget them."""
        events = list(self._pending())
        self._pending().clear()
        return events
