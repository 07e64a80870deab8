"""Which topic each event goes to, and the key it is partitioned by (from the declarations:
an event of domain `d` goes to `d.events`)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from contracts.declaration import EventDomain
from contracts.registry import EVENTS, Registry


class Topic(StrEnum):
    commerce = "commerce.events"
    community = "community.events"
    podcast = "podcast.events"
    identity = "identity.events"
    recommendation = "recommendation.events"
    inventory_alerts = "alerts.inventory"
    moderation_flags = "moderation.flags"
    dead_letter = "events.dead_letter"


TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)
# Each domain's source topic (a domain without its topic above fails here, at import).
SOURCE_TOPIC: dict[EventDomain, Topic] = {d: Topic(f"{d}.events") for d in EventDomain}
SOURCE_TOPICS: tuple[str, ...] = tuple(SOURCE_TOPIC.values())
TOPIC_BY_TYPE: dict[str, Topic] = {t: SOURCE_TOPIC[d] for t, d in EVENTS.domain_of.items()}


def _get(event: Any, name: str) -> Any:
    return event.get(name) if isinstance(event, Mapping) else getattr(event, name, None)


def topic_for(event: Any, *, registry: Registry = EVENTS) -> Topic:
    """The topic of an event (a model or a plain dict)."""
    return SOURCE_TOPIC[registry.domain_of[_get(event, "event_type")]]


def key_for(event: Any, *, registry: Registry = EVENTS) -> bytes:
    """Partition key: the user, else the entity its declaration names, else the event id."""
    field = registry.key_field.get(_get(event, "event_type"))
    for name in ("user_id", field, "event_id"):
        value = _get(event, name) if name else None
        if value:
            return str(value).encode()
    return b""
