"""Which API scope may publish which event type over `POST /v1/events`: least privilege.

A storefront's backend reports what its users do (behaviour: views, searches, carts,
checkouts, reviews, plays, subscriptions, profile edits, recommendation clicks). A fact has
one producer: the core's outbox (orders, payments, stock, listings, and what the core records
for communities, podcasts and users) or the API itself (`recommendation_served`). Published a
second time over HTTP, a fact is a forgery or a double count (GMV, stock, low-stock alerts,
moderation flags, CTR), so it needs `events:facts`: a backfill's or an import's key, never the
storefront's. The admin key (`*`) holds both.

Each event type's declaration names its publisher (`EventSpec.publisher`, a required field:
a new event type cannot ship without that decision).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from contracts.declaration import FACTS, STOREFRONT
from contracts.registry import EVENTS

PUBLISHING_SCOPES = (STOREFRONT, FACTS)

EVENT_SCOPES: Mapping[str, str] = MappingProxyType(dict(EVENTS.publisher))


def scope_for(event_type: str) -> str | None:
    """The scope a key needs to publish `event_type`; None for a type the contracts do not
    know (validation refuses it)."""
    return EVENT_SCOPES.get(event_type)


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


__all__ = ["EVENT_SCOPES", "FACTS", "PUBLISHING_SCOPES", "STOREFRONT", "refused", "scope_for"]
