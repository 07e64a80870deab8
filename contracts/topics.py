"""Which topic each event goes to, and the key it is partitioned by."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


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
SOURCE_TOPICS: tuple[str, ...] = (
    Topic.commerce, Topic.community, Topic.podcast, Topic.identity, Topic.recommendation,
)

_DOMAIN_TYPES: dict[Topic, tuple[str, ...]] = {
    Topic.commerce: (
        "product_viewed", "product_searched", "cart_item_added", "cart_item_removed",
        "checkout_started", "order_placed", "payment_succeeded", "payment_failed",
        "order_cancelled", "inventory_adjusted", "listing_created", "review_posted",
    ),
    Topic.community: (
        "post_created", "comment_created", "vote_cast", "community_joined", "content_reported",
    ),
    Topic.podcast: ("episode_published", "episode_played", "show_subscribed", "show_unsubscribed"),
    Topic.identity: ("user_registered", "user_profile_updated"),
    Topic.recommendation: ("recommendation_served", "recommendation_clicked"),
}
TOPIC_BY_TYPE: dict[str, Topic] = {
    event_type: topic for topic, types in _DOMAIN_TYPES.items() for event_type in types
}

# Entity field used as the key when an event has no user.
_ENTITY_FIELDS = ("order_id", "product_id", "post_id", "target_id", "episode_id", "show_id",
                  "community_id", "request_id")


def _get(event: Any, name: str) -> Any:
    return event.get(name) if isinstance(event, Mapping) else getattr(event, name, None)


def topic_for(event: Any) -> Topic:
    """The topic of an event (a model or a plain dict)."""
    return TOPIC_BY_TYPE[_get(event, "event_type")]


def key_for(event: Any) -> bytes:
    """Partition key: the user, else the entity the event is about, else the event id."""
    for field in ("user_id", *_ENTITY_FIELDS, "event_id"):
        value = _get(event, field)
        if value:
            return str(value).encode()
    return b""
