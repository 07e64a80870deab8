"""The key layout of the live counters the agents write and `features.analytics` reads.

- `stats:m:<minute>`: one hash per event-time minute with every counter of the overview;
  the exact ones (orders, GMV, payments, cancellations, units) are written once per event id.
- `stats:total`: the same fields since the store was created (for reconciliation).
- `active:10s:<slot>`, `active:1m:<minute>`: distinct users (HyperLogLog on Redis, ±0.81%).
- `funnel:<step>:<minute>`: distinct sessions that reached a funnel step in that minute.
- `community:m:<minute>`: per-community counters, fields `<community_id>|<metric>` (the id
  escaped, `features.keys.field`).

Recommendation counters (`rec|<metric>|<model>|<variant>`) live in the minute hashes only,
never in `stats:total`, and only for bounded model and variant labels
(`features.recommendations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.buckets import HOUR_S
from features.keys import escape, field

if TYPE_CHECKING:
    from features.online import OnlineStore

STATS_TTL_S = 3 * HOUR_S
ACTIVE_SLOT_TTL_S = 15 * 60.0
ACTIVE_MINUTE_TTL_S = 2 * HOUR_S + 600.0
FUNNEL_TTL_S = HOUR_S
TOTALS_KEY = "stats:total"

# Fields of the minute hashes.
ORDERS = "orders"
GMV_CENTS = "gmv_cents"
UNITS = "units"
PAYMENTS_OK = "payments_ok"
PAYMENTS_FAILED = "payments_failed"
CANCELLED = "cancelled"
CHECKOUTS = "checkouts"
CART_ADDS = "cart_adds"
VIEWS = "views"
SEARCHES = "searches"
REVIEWS = "reviews"
LISTINGS = "listings"
PLAYS = "plays"
COMPLETIONS = "completions"
LISTEN_FRACTION = "listen_fraction"
SUBSCRIPTIONS = "subscriptions"
UNSUBSCRIPTIONS = "unsubscriptions"
EPISODES = "episodes"
POSTS = "posts"
COMMENTS = "comments"
VOTES = "votes"
REPORTS = "reports"
JOINS = "joins"
REGISTRATIONS = "registrations"
PROFILE_UPDATES = "profile_updates"
FLAGS = "moderation_flags"
LOW_STOCK_ALERTS = "low_stock_alerts"
DEAD_LETTERS = "dead_letters"  # by processing time: a dead letter has no trusted time
FUNNEL_STEPS = ("view", "cart", "checkout", "purchase")
# A play counts as listened through when it reaches this share of the episode.
COMPLETION_SHARE = 0.9


def events_field(domain: str) -> str:
    return f"events|{domain}"


REC_PREFIX = "rec|"


def rec_field(metric: str, model: str, variant: str) -> str:
    """`served`, `impressions` or `clicks` of one (bounded) model and variant label."""
    return f"rec|{metric}|{model}|{variant}"


def community_field(community_id: str, metric: str) -> str:
    return field(community_id, metric)


def stats_key(minute: int) -> str:
    return f"stats:m:{minute}"


def active_slot_key(slot: int) -> str:
    return f"active:10s:{slot}"


def active_minute_key(minute: int) -> str:
    return f"active:1m:{minute}"


def funnel_key(step: str, minute: int) -> str:
    return f"funnel:{escape(step)}:{minute}"


def community_key(minute: int) -> str:
    return f"community:m:{minute}"


async def read_totals(store: OnlineStore) -> dict[str, float]:
    """Every counter since the store was created (`stats:total`), whatever the event time:
    orders, `gmv_cents`, units, cancellations, posts, comments, votes, `events|<domain>`..."""
    return {field: float(value) for field, value in (await store.get_fields(TOTALS_KEY)).items()}
