"""Placing an order on the async path: the hot path of the core, in as few round trips as the
guarantees allow.

The same rules as `handlers.orders.place_order` (the domain builds and checks the order; an
Idempotency-Key replays the first result; the outbox rows commit with the change), but the
store reserves each line's units with one conditional update that returns the level left
(`available >= quantity`, rows taken in sku order) instead of a locking read and a write, and
the store batches what it sends. The row lock is then held from that update to the commit,
with nothing computed in between but the stock events.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from core.domain.errors import Conflict, InvalidInput
from core.domain.events import DomainEvent
from core.domain.inventory import out_of_stock, reservation
from core.domain.money import Money
from core.domain.orders import Order, OrderLine
from core.service_layer import commands, views
from core.service_layer.messagebus import IdempotencyKeyReused, fingerprint
from core.service_layer.unit_of_work import IdempotencyRecord


@dataclass(frozen=True, kw_only=True)
class Snapshot:
    """What the order path reads before it writes, without a lock."""

    record: IdempotencyRecord | None  # the first result stored under the key
    prices: dict[str, Money]  # per sku that is a product
    # Per sku with a stock row: the committed level. Enough to refuse an order (that is the
    # order arriving just before a concurrent restock), never to accept one.
    available: dict[str, int]


class PlacementTransaction(abc.ABC):
    """One transaction of the order path; leaving it without `commit` rolls it back."""

    @abc.abstractmethod
    async def look_up(self, *, idempotency_key: str | None, skus: Sequence[str]) -> Snapshot:
        """The result stored under the key (None without one), prices and stock of `skus`."""

    @abc.abstractmethod
    async def place(self, order: Order, *,
                    record: IdempotencyRecord | None) -> dict[str, int | None]:
        """Add the order, its events and the record; reserve each line's quantity, rows in
        sku order. The level left per sku, None where fewer units were available (nothing
        reserved there; the caller then rolls back)."""

    @abc.abstractmethod
    async def available_after_rollback(self, sku: str) -> int | None:
        """Roll back what `place` sent (a line was short), then the units of `sku` available
        now; None when it has no stock row."""

    @abc.abstractmethod
    async def commit(self, events: Sequence[DomainEvent]) -> None:
        """Write `events` to the outbox and commit them with everything `place` sent."""


class OrderDesk(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[PlacementTransaction]: ...


def _replayed(record: IdempotencyRecord, command: commands.PlaceOrder) -> views.View:
    if record.fingerprint != fingerprint(command):
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request",
                                   field="Idempotency-Key")
    return record.result


async def _place(cmd: commands.PlaceOrder, tx: PlacementTransaction, new_id: Callable[[], str],
                 idempotency_key: str | None) -> views.View:
    seen = await tx.look_up(idempotency_key=idempotency_key, skus=[ln.sku for ln in cmd.lines])
    if seen.record is not None:
        return _replayed(seen.record, cmd)
    lines = []
    for i, req in enumerate(cmd.lines):
        price = seen.prices.get(req.sku)
        if price is None:
            raise InvalidInput(f"unknown product {req.sku!r}", field=f"lines.{i}.product_id")
        lines.append(OrderLine(product_sku=req.sku, quantity=req.quantity, unit_price=price))
    order = Order(order_id=new_id(), user_id=cmd.user_id, currency=cmd.currency, lines=lines)
    by_sku = sorted(enumerate(cmd.lines), key=lambda pair: pair[1].sku)
    for i, req in by_sku:  # sold out already: refused without a write (a flash sale's 409s)
        now = seen.available.get(req.sku)
        if now is not None and now < req.quantity:
            raise out_of_stock(req.sku, req.quantity, now, field=f"lines.{i}.quantity")
    view = views.order(order)
    record = None if idempotency_key is None else IdempotencyRecord(
        key=idempotency_key, fingerprint=fingerprint(cmd), result=view)
    levels = await tx.place(order, record=record)
    events: list[DomainEvent] = []
    for i, req in by_sku:
        left = levels[req.sku]
        if left is None:
            now = await tx.available_after_rollback(req.sku)
            if now is None:
                raise InvalidInput(f"unknown product {req.sku!r}", field=f"lines.{i}.product_id")
            raise out_of_stock(req.sku, req.quantity, now, field=f"lines.{i}.quantity")
        events.append(reservation(sku=req.sku, quantity=req.quantity, on_hand=left,
                                  user_id=cmd.user_id))
    await tx.commit(events)
    return view


async def place_order(cmd: commands.PlaceOrder, *, desk: OrderDesk, new_id: Callable[[], str],
                      idempotency_key: str | None = None) -> views.View:
    try:
        async with desk.transaction() as tx:
            return await _place(cmd, tx, new_id, idempotency_key)
    except Conflict:
        if idempotency_key is None:
            raise
        # A concurrent first attempt with the same key committed meanwhile: its result.
        async with desk.transaction() as tx:
            stored = (await tx.look_up(idempotency_key=idempotency_key, skus=())).record
        if stored is None:
            raise
        return _replayed(stored, cmd)

