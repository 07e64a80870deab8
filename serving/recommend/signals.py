"""A user's live signals from the online store: what they touched in the last minutes, what
they already bought or consumed, and which products are out of stock.

The agents write these keys (see features/); serving only reads them, each read bounded by a
time budget so a slow or dead store degrades a request instead of failing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from contracts import EVENTS, Domain
from features.inventory import inventory_key
from features.item_texts import item_text
from features.online import OnlineStore, StoreUnavailable
from features.users import RecentInteraction, recent_interactions

T = TypeVar("T")

RECENT_ITEMS = 20
DOMAINS = tuple(d.value for d in Domain)
# Interactions that mean the user has the item (declared `excludes`, contracts/): not
# recommended again by default.
CONSUMED_EVENTS = EVENTS.excluding


class SignalsUnavailable(RuntimeError):
    """The store did not answer within the budget."""


class LiveSignals(Protocol):
    async def recent(self, user_id: str) -> list[RecentInteraction]:
        """The user's latest interactions in every domain, newest first."""
        ...

    async def out_of_stock(self, items: list[str]) -> set[str]:
        """Which of `items` are products with nothing on hand."""
        ...

    async def words(self, item_id: str) -> tuple[str, str] | None:
        """An item's words and category as published (None when unknown)."""
        ...


@dataclass(frozen=True, slots=True)
class UserContext:
    history: list[str] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)
    # items the user turned away from, with their summed (negative) weight, newest first
    disliked: dict[str, float] = field(default_factory=dict)
    degraded: str | None = None


async def bounded(call: Awaitable[T], timeout_s: float) -> T:
    """Await a store read within `timeout_s`; `SignalsUnavailable` otherwise."""
    try:
        async with asyncio.timeout(timeout_s):  # no extra task, unlike wait_for
            return await call
    except (StoreUnavailable, TimeoutError, OSError) as exc:
        raise SignalsUnavailable(type(exc).__name__) from exc


async def user_context(signals: LiveSignals, user_id: str, timeout_s: float) -> UserContext:
    """History and consumed items, or an empty context that says the store is degraded."""
    try:
        recent = await bounded(signals.recent(user_id), timeout_s)
    except SignalsUnavailable:
        return UserContext(degraded="store-unavailable")
    # Each item's recent weights are summed, as the training set sums them
    # (models/training_set.py): above 0 the user turned to it (the model's history), below 0
    # away from it (a downvote, a cart removal without a view, an unsubscription), and the
    # service lowers its neighbours.
    summed: dict[str, float] = {}
    for r in recent:  # newest first, so the dict keeps the newest order
        summed[r.item_id] = summed.get(r.item_id, 0.0) + r.weight
    history = [i for i, w in summed.items() if w > 0][:RECENT_ITEMS]
    disliked = {i: w for i, w in summed.items() if w < 0}
    return UserContext(history=history, disliked=disliked,
                       consumed={r.item_id for r in recent if r.event_type in CONSUMED_EVENTS})


class StoreSignals:
    """Reads the keys the stream agents write (`features.users`, `features.inventory`)."""

    def __init__(self, *, store: OnlineStore,
                 catalogue: Callable[[str], Awaitable[tuple[str, str] | None]] | None = None
                 ) -> None:
        self._store = store
        self._catalogue = catalogue  # a product's words by sku (the core's catalogue)

    async def recent(self, user_id: str) -> list[RecentInteraction]:
        return await recent_interactions(self._store, user_id, DOMAINS)

    async def words(self, item_id: str) -> tuple[str, str] | None:
        """Posts and episodes from the stream; products from the catalogue."""
        found = await item_text(self._store, item_id)
        if found is None and self._catalogue is not None and item_id.startswith("product:"):
            found = await self._catalogue(item_id.removeprefix("product:"))
        return found

    async def out_of_stock(self, items: list[str]) -> set[str]:
        products = [i for i in items if i.startswith("product:")]
        if not products:
            return set()
        rows = await self._store.get_many(
            [inventory_key(p.removeprefix("product:")) for p in products])
        return {p for p, f in zip(products, rows, strict=True)
                if "on_hand" in f and float(f["on_hand"]) <= 0}
