"""Event contracts: the versioned schemas every producer and consumer agrees on.

This package imports nothing from the project (only pydantic and the standard library).
"""

from contracts.events import (
    EVENT_TYPES,
    Event,
    EventError,
    dump_event,
    parse_event,
)
from contracts.items import Domain, item_domain, item_of
from contracts.topics import TOPICS, Topic, key_for, topic_for

__all__ = [
    "EVENT_TYPES",
    "TOPICS",
    "Domain",
    "Event",
    "EventError",
    "Topic",
    "dump_event",
    "item_domain",
    "item_of",
    "key_for",
    "parse_event",
    "topic_for",
]
