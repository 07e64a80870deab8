"""Event contracts: the versioned schemas every producer and consumer agrees on.

This package imports nothing from the project (only pydantic and the standard library).
"""

from contracts.declaration import EventDomain, EventSpec
from contracts.events import (
    EVENT_TYPES,
    Event,
    EventError,
    dump_event,
    parse_event,
)
from contracts.items import Domain, item_domain
from contracts.registry import EVENTS, Registry, item_of
from contracts.topics import TOPICS, Topic, key_for, topic_for

__all__ = [
    "EVENTS",
    "EVENT_TYPES",
    "TOPICS",
    "Domain",
    "Event",
    "EventDomain",
    "EventError",
    "EventSpec",
    "Registry",
    "Topic",
    "dump_event",
    "item_domain",
    "item_of",
    "key_for",
    "parse_event",
    "topic_for",
]
