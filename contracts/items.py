"""Items are addressed across domains as `<kind>:<id>`; each event maps to at most one item."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Domain(StrEnum):
    commerce = "commerce"
    community = "community"
    podcast = "podcast"


KIND_DOMAIN: dict[str, Domain] = {
    "product": Domain.commerce,
    "post": Domain.community,
    "comment": Domain.community,
    "community": Domain.community,
    "episode": Domain.podcast,
    "show": Domain.podcast,
}

# Which item an event is an interaction with, and the field that names it.
_ITEM_FIELD: dict[str, tuple[str, str]] = {
    "product_viewed": ("product", "product_id"),
    "cart_item_added": ("product", "product_id"),
    "cart_item_removed": ("product", "product_id"),
    "inventory_adjusted": ("product", "product_id"),
    "listing_created": ("product", "product_id"),
    "review_posted": ("product", "product_id"),
    "post_created": ("post", "post_id"),
    "comment_created": ("post", "post_id"),
    "community_joined": ("community", "community_id"),
    "episode_published": ("episode", "episode_id"),
    "episode_played": ("episode", "episode_id"),
    "show_subscribed": ("show", "show_id"),
    "show_unsubscribed": ("show", "show_id"),
}


def item_of(event: Any) -> str | None:
    """The `<kind>:<id>` item an event is about, or None (orders, votes on comments, ...)."""
    event_type = event.event_type
    if event_type == "vote_cast":
        return f"{event.target_type}:{event.target_id}"
    spec = _ITEM_FIELD.get(event_type)
    if spec is None:
        return None
    kind, field = spec
    return f"{kind}:{getattr(event, field)}"


def item_domain(item_id: str) -> Domain | None:
    kind, _, _ = item_id.partition(":")
    return KIND_DOMAIN.get(kind)
