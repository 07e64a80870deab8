"""The async order path's rules on an in-memory desk, and `handle_async` without one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest

from core.domain.errors import Conflict, OutOfStock
from core.domain.events import DomainEvent
from core.domain.money import Money
from core.domain.orders import Order
from core.service_layer import commands as c
from core.service_layer import reads
from core.service_layer.placing import PlacementTransaction, Snapshot, place_order
from core.service_layer.unit_of_work import IdempotencyRecord
from tests.unit.core.fakes import fake_bus

PRICE = Money(amount=Decimal("2.00"), currency="USD")


class MemoryDesk:
    """Stock and records in dicts; `stale` makes the first read report more stock than the
    update then finds (a concurrent order took it in between)."""

    def __init__(self, *, stock: dict[str, int], stale: bool = False) -> None:
        self.stock = stock
        self.stale = stale
        self.records: dict[str, IdempotencyRecord] = {}
        self.outbox: list[str] = []
        self.placed = 0
        self.conflict_once = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PlacementTransaction]:
        yield _MemoryTx(self)


class _MemoryTx(PlacementTransaction):
    def __init__(self, desk: MemoryDesk) -> None:
        self.desk = desk
        self.pending: tuple[Order, IdempotencyRecord | None, dict[str, int]] | None = None

    async def look_up(self, *, idempotency_key: str | None, skus: Sequence[str]) -> Snapshot:
        d = self.desk
        seen = {s: (10**6 if d.stale else d.stock[s]) for s in skus if s in d.stock}
        return Snapshot(record=d.records.get(idempotency_key or ""),
                        prices={s: PRICE for s in skus if s in d.stock}, available=seen)

    async def place(self, order: Order, *,
                    record: IdempotencyRecord | None) -> dict[str, int | None]:
        if self.desk.conflict_once:  # a concurrent first attempt committed this key
            self.desk.conflict_once = False
            if record is not None:
                self.desk.records[record.key] = IdempotencyRecord(
                    key=record.key, fingerprint=record.fingerprint, result={"winner": True})
            raise Conflict("duplicate")
        left = {ln.product_sku: self.desk.stock[ln.product_sku] - ln.quantity
                for ln in order.lines}
        self.pending = (order, record, left)
        return {s: (n if n >= 0 else None) for s, n in left.items()}

    async def available_after_rollback(self, sku: str) -> int | None:
        self.pending = None
        return self.desk.stock.get(sku)

    async def commit(self, events: Sequence[DomainEvent]) -> None:
        assert self.pending is not None
        order, record, left = self.pending
        self.desk.stock.update(left)
        if record is not None:
            self.desk.records[record.key] = record
        self.desk.outbox += [e.event_type for e in (*order.take_events(), *events)]
        self.desk.placed += 1


def _order(qty: int) -> c.PlaceOrder:
    return c.PlaceOrder(user_id="u", currency="USD", lines=(c.LineRequest(sku="a", quantity=qty),))


def _place(desk: MemoryDesk, qty: int, key: str | None = None) -> object:
    ids = iter(f"o{i}" for i in range(100))
    return asyncio.run(place_order(_order(qty), desk=desk, new_id=lambda: next(ids),
                                   idempotency_key=key))


def test_an_order_commits_its_events_and_replays_under_its_key():
    desk = MemoryDesk(stock={"a": 5})
    first = _place(desk, 2, key="k")
    assert _place(desk, 2, key="k") == first and desk.placed == 1
    assert desk.stock == {"a": 3}
    assert desk.outbox == ["order_placed", "inventory_adjusted"]


@pytest.mark.parametrize("stale", [False, True])
def test_short_stock_is_refused_with_the_level_and_nothing_committed(stale: bool):
    desk = MemoryDesk(stock={"a": 1}, stale=stale)
    with pytest.raises(OutOfStock, match="2 requested, 1 available"):
        _place(desk, 2, key="k")
    assert desk.placed == 0 and desk.records == {} and desk.stock == {"a": 1}


def test_a_conflict_under_a_key_returns_the_winners_result():
    desk = MemoryDesk(stock={"a": 5})
    desk.conflict_once = True
    assert _place(desk, 1, key="k") == {"winner": True}
    desk.conflict_once = True
    with pytest.raises(Conflict):  # without a key there is nothing to replay
        _place(desk, 1)


def test_handle_async_without_an_async_handler_runs_the_unit_of_work():
    bus, _ = fake_bus()
    bus.handle(c.UpsertProduct(sku="a", title="A", price=PRICE, category="x"))
    bus.handle(c.Restock(sku="a", quantity=3))
    placed = asyncio.run(bus.handle_async(_order(2), idempotency_key="k"))
    assert asyncio.run(bus.handle_async(_order(2), idempotency_key="k")) == placed
    assert bus.read(reads.get_stock, sku="a") == {"sku": "a", "available": 1, "reserved": 2}
