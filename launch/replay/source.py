"""What every dataset module shares: deterministic event ids and UTC timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Fixed namespace: the same source row always yields the same event id, so a replay run
# twice is idempotent downstream (the worker's exact state and the lake dedupe by event id).
NAMESPACE = uuid.UUID("6f1c1b5e-2f55-4f4e-9d57-5d3c0a1e7a10")

ReplayEvent = dict[str, Any]
Loader = Callable[[Path], list[ReplayEvent]]


def event_id(*parts: object) -> str:
    """uuid5 of the source row's identity, e.g. `event_id("online-retail", "invoice", no)`."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def utc(value: datetime) -> datetime:
    """A naive datetime taken as UTC, an aware one converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def by_time(events: list[ReplayEvent]) -> list[ReplayEvent]:
    """Sorted by event time (stable: ties keep the order the module built them in)."""
    events.sort(key=lambda ev: ev["occurred_at"])
    return events
