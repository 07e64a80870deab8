"""Which API scope may publish which event type over `POST /v1/events`: least privilege.

A storefront's backend reports what its users do (behaviour: views, searches, carts,
checkouts, reviews, plays, subscriptions, profile edits, recommendation clicks). A fact has
one producer: the core's outbox (orders, payments, stock, listings, and what the core records
for communities, podcasts and users) or the API itself (`recommendation_served`). Published a
second time over HTTP, a fact is a forgery or a double count (GMV, stock, low-stock alerts,
moderation flags, CTR), so it needs `events:facts`: a backfill's or an import's key, never the
storefront's. The admin key (`*`) holds both.

One table, so that a new event type cannot ship without a decision (a test checks it; until
then the type needs `events:facts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from contracts.events import EVENT_TYPES

STOREFRONT = "storefront"
FACTS = "events:facts"
PUBLISHING_SCOPES = (STOREFRONT, FACTS)

EVENT_SCOPES: Mapping[str, str] = MappingProxyType({
    # behaviour, reported by the storefront on behalf of its users
    "product_viewed": STOREFRONT,
    "product_searched": STOREFRONT,
    "cart_item_added": STOREFRONT,
    "cart_item_removed": STOREFRONT,
    "checkout_started": STOREFRONT,
    "review_posted": STOREFRONT,
    "episode_played": STOREFRONT,
    "show_subscribed": STOREFRONT,
    "show_unsubscribed": STOREFRONT,
    "user_profile_updated": STOREFRONT,
    "recommendation_clicked": STOREFRONT,
    # facts of the core (its outbox publishes them once committed)
    "order_placed": FACTS,
    "payment_succeeded": FACTS,
    "payment_failed": FACTS,
    "order_cancelled": FACTS,
    "inventory_adjusted": FACTS,
    "listing_created": FACTS,
    # the core records these too (POST /v1/communities/..., /v1/podcasts/...): a storefront
    # casts a vote or reports content through those routes, not as a bare event
    "post_created": FACTS,
    "comment_created": FACTS,
    "vote_cast": FACTS,
    "content_reported": FACTS,
    "community_joined": FACTS,
    "episode_published": FACTS,
    "user_registered": FACTS,
    # the API's own record of what it served (the CTR's denominator and model labels)
    "recommendation_served": FACTS,
})



def scope_for(event_type: str) -> str | None:
    """The scope a key needs to publish `event_type`; None for a type the contracts do not
    know (validation refuses it). A known type missing from the table needs `events:facts`:
    closed by default (and a test fails)."""
    if event_type not in EVENT_TYPES:
        return None
    return EVENT_SCOPES.get(event_type, FACTS)


def refused(event_types: Iterable[str], granted: frozenset[str]) -> list[str]:
    """The known event types among `event_types` that `granted` scopes may not publish
    (`*` grants all), each once, in order of first appearance."""
    if "*" in granted:
        return []
    out: list[str] = []
    for event_type in event_types:
        needed = scope_for(event_type)
        if needed is not None and needed not in granted and event_type not in out:
            out.append(event_type)
    return out
