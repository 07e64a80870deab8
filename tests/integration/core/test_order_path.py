"""The async order path on PostgreSQL (core/service_layer/placing.py, core/adapters/
pg_placement.py): the same guarantees as the unit of work, on the conditional stock update."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from contracts import EventError, parse_event
from core.adapters.pg_placement import PgPlacement
from core.bootstrap import bootstrap_database
from core.domain.errors import Conflict, DomainError, InvalidInput, OutOfStock
from core.domain.money import Money
from core.domain.payments import PaymentMethod
from core.service_layer import commands as c
from core.service_layer import reads
from core.service_layer.messagebus import MessageBus
from core.service_layer.placing import Snapshot

pytestmark = pytest.mark.integration


@pytest.fixture
def bus(core_postgres_url: str) -> Iterator[MessageBus]:
    bus, close = bootstrap_database(database_url=core_postgres_url, pool_size=4)
    assert c.PlaceOrder in bus.async_handlers  # the API's path on PostgreSQL
    yield bus
    close()


def _stock(bus: MessageBus, sku: str, quantity: int, price: str = "2.50") -> None:
    bus.handle(c.UpsertProduct(sku=sku, title=sku, category="test",
                               price=Money(amount=Decimal(price), currency="USD")))
    bus.handle(c.Restock(sku=sku, quantity=quantity))


def _order(*lines: tuple[str, int], user: str = "u1") -> c.PlaceOrder:
    return c.PlaceOrder(user_id=user, currency="USD",
                        lines=tuple(c.LineRequest(sku=s, quantity=q) for s, q in lines))


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(text(sql)))
    engine.dispose()
    return rows


async def _all(bus: MessageBus,
               commands: Sequence[tuple[c.PlaceOrder, str | None]]) -> list[Any]:
    try:
        return await asyncio.gather(*(bus.handle_async(cmd, idempotency_key=key)
                                      for cmd, key in commands), return_exceptions=True)
    finally:
        await bus.aclose()


def test_an_order_commits_with_its_record_and_outbox_rows(bus: MessageBus,
                                                         core_postgres_url: str):
    _stock(bus, "mug", 5)
    [view] = asyncio.run(_all(bus, [(_order(("mug", 2)), "k1")]))
    assert view["status"] == "placed" and view["total"]["amount"] == "5.00"
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 3, "reserved": 2}
    assert bus.read(reads.get_order, order_id=view["order_id"]) == view
    events = [parse_event(p) for (p,) in _rows(core_postgres_url,
                                               "SELECT payload FROM outbox ORDER BY id")]
    placed = [e for e in events if e.event_type == "order_placed"]
    adjusted = [e for e in events if e.event_type == "inventory_adjusted"]
    assert len(placed) == 1 and placed[0].order_id == view["order_id"]
    assert [(e.delta, e.on_hand, e.reason) for e in adjusted][-1] == (
        -2, 3, "sale")
    # the stored first result replays; the order is still the one order
    [again] = asyncio.run(_all(bus, [(_order(("mug", 2)), "k1")]))
    assert again == view and len(_rows(core_postgres_url, "SELECT 1 FROM orders")) == 1
    # paying and cancelling (the unit of work's path) work on an order placed here
    paid = bus.handle(c.PayOrder(order_id=view["order_id"], method=PaymentMethod.card,
                                 source="4242424242424242"))
    assert paid["status"] == "paid"
    assert bus.read(reads.get_stock, sku="mug") == {"sku": "mug", "available": 3, "reserved": 0}


def test_concurrent_first_attempts_with_one_key_place_one_order(bus: MessageBus,
                                                                core_postgres_url: str):
    _stock(bus, "mug", 50)
    results = asyncio.run(_all(bus, [(_order(("mug", 1)), "same")] * 12))
    assert all(r == results[0] for r in results), results
    assert len(_rows(core_postgres_url, "SELECT 1 FROM orders")) == 1
    assert bus.read(reads.get_stock, sku="mug")["available"] == 49


def test_multi_line_orders_taken_in_both_orders_neither_deadlock_nor_oversell(
        bus: MessageBus, core_postgres_url: str):
    _stock(bus, "a", 30)
    _stock(bus, "b", 30)
    commands = [(_order(("a", 1), ("b", 1)) if i % 2 else _order(("b", 1), ("a", 1)), None)
                for i in range(50)]
    results = asyncio.run(_all(bus, commands))
    outcomes = Counter(type(r).__name__ if isinstance(r, BaseException) else "placed"
                       for r in results)
    assert outcomes == {"placed": 30, "OutOfStock": 20}, outcomes  # no Conflict (deadlock)
    for sku in ("a", "b"):
        assert bus.read(reads.get_stock, sku=sku) == {"sku": sku, "available": 0, "reserved": 30}
    assert len(_rows(core_postgres_url, "SELECT 1 FROM order_lines")) == 60
    assert len(_rows(core_postgres_url,
                     "SELECT 1 FROM outbox WHERE event_type = 'order_placed'")) == 30


def _refused(bus: MessageBus, cmd: c.PlaceOrder, key: str | None = "k") -> DomainError:
    [result] = asyncio.run(_all(bus, [(cmd, key)]))
    assert isinstance(result, DomainError), result
    return result


@pytest.mark.parametrize("stale_read", [False, True])
def test_a_refused_order_leaves_nothing_behind(bus: MessageBus, core_postgres_url: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               stale_read: bool):
    _stock(bus, "a", 5)
    _stock(bus, "b", 1)
    before = _rows(core_postgres_url, "SELECT count(*) FROM outbox")
    if stale_read:  # as if the read saw the stock a concurrent order then took: the update
        look_up = PgPlacement.look_up  # refuses, and everything sent is rolled back

        async def blind(self: PgPlacement, **kw: Any) -> Snapshot:
            seen = await look_up(self, **kw)
            return Snapshot(record=seen.record, prices=seen.prices, available={})

        monkeypatch.setattr(PgPlacement, "look_up", blind)
    error = _refused(bus, _order(("a", 2), ("b", 3)))
    assert isinstance(error, OutOfStock) and error.field == "lines.1.quantity"
    assert "3 requested, 1 available" in error.message
    assert _rows(core_postgres_url, "SELECT count(*) FROM outbox") == before
    assert _rows(core_postgres_url, "SELECT 1 FROM orders") == []
    assert bus.read(reads.get_stock, sku="a") == {"sku": "a", "available": 5, "reserved": 0}
    # the key was not spent: after a restock the same request places the order
    bus.handle(c.Restock(sku="b", quantity=2))
    [placed] = asyncio.run(_all(bus, [(_order(("a", 2), ("b", 3)), "k")]))
    assert placed["status"] == "placed"


def test_bad_orders_are_the_domain_errors_of_the_unit_of_work(bus: MessageBus):
    _stock(bus, "a", 5)
    bus.handle(c.UpsertProduct(sku="euro", title="e", category="t",
                               price=Money(amount=Decimal("1"), currency="EUR")))
    unknown = _refused(bus, _order(("a", 1), ("ghost", 1)))
    assert isinstance(unknown, InvalidInput) and unknown.field == "lines.1.product_id"
    twice = _refused(bus, _order(("a", 1), ("a", 1)))
    assert isinstance(twice, InvalidInput) and twice.field == "lines.1.product_id"
    currency = _refused(bus, _order(("euro", 1)))
    assert isinstance(currency, InvalidInput) and currency.field == "currency"
    asyncio.run(_all(bus, [(_order(("a", 1)), "used")]))
    reused = _refused(bus, _order(("a", 2)), key="used")
    assert isinstance(reused, InvalidInput) and reused.field == "Idempotency-Key"
    assert bus.read(reads.get_stock, sku="a")["available"] == 4


def test_an_event_beyond_its_contract_fails_the_order(bus: MessageBus, core_postgres_url: str):
    _stock(bus, "gold", 100_000, price="999999.99")  # 100,000 of them: beyond 10^9
    [result] = asyncio.run(_all(bus, [(_order(("gold", 100_000)), None)]))
    assert isinstance(result, EventError), result
    assert _rows(core_postgres_url, "SELECT 1 FROM orders") == []
    assert bus.read(reads.get_stock, sku="gold")["available"] == 100_000


def test_a_conflict_without_a_key_is_not_replayed(bus: MessageBus):
    _stock(bus, "a", 5)
    ids = iter(["fixed", "fixed"])
    from core.adapters.pg_placement import PgOrderDesk
    from core.service_layer.placing import place_order

    desk = bus.async_handlers[c.PlaceOrder].keywords["desk"]  # type: ignore[attr-defined]
    assert isinstance(desk, PgOrderDesk)

    async def twice() -> list[Any]:
        try:
            return [await place_order(_order(("a", 1)), desk=desk, new_id=lambda: next(ids))
                    for _ in range(2)]
        except Conflict as exc:
            return [exc]
        finally:
            await desk.close()

    [conflict] = asyncio.run(twice())  # the second order reuses the first one's id
    assert isinstance(conflict, Conflict)
    assert bus.read(reads.get_stock, sku="a")["available"] == 4
