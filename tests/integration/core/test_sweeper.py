"""The sweeper on SQLite and PostgreSQL: payments left `paying`, unpaid reservations, and two
sweepers at once (PostgreSQL) handling every order exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core.adapters.database import create_database_engine
from core.adapters.sandbox_payments import SandboxPaymentGateway, SqlLedger
from core.adapters.tables import orders, outbox
from core.bootstrap import bootstrap_database
from core.domain.errors import InvalidTransition
from core.domain.money import Money
from core.domain.orders import RESERVATION_EXPIRED
from core.domain.payments import PAYMENT_TIMEOUT, PaymentMethod, PaymentRequest
from core.entrypoints.sweeper import Sweeper, SweepReport, build_sweeper
from core.service_layer import commands as c
from core.service_layer import reads
from core.service_layer.messagebus import MessageBus
from tests.unit.core.fakes import LostCharge

pytestmark = pytest.mark.integration
APPROVED, DECLINED = "4242424242424242", "4000000000000002"


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


class Shop:
    """The API's bus on the database, the sandbox ledger on it, and a link that loses
    answers mid-charge (the pay request died: the order stays `paying`)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_database_engine(url, pool_size=2)
        self.sandbox = SandboxPaymentGateway(ledger=SqlLedger(engine=self.engine))
        self.api, self._close = bootstrap_database(database_url=url, pool_size=4)
        self.lossy = {reaches: bootstrap_database(
            database_url=url, pool_size=2, gateway=LostCharge(self.sandbox, reaches=reaches))
            for reaches in (True, False)}

    def close(self) -> None:
        self._close()
        for _, close in self.lossy.values():
            close()
        self.engine.dispose()

    def product(self, sku: str, units: int) -> None:
        self.api.handle(c.UpsertProduct(sku=sku, title=sku, category="home",
                                        price=Money(amount=Decimal("2.50"), currency="USD")))
        self.api.handle(c.Restock(sku=sku, quantity=units))

    def place(self, *lines: tuple[str, int]) -> str:
        return str(self.api.handle(c.PlaceOrder(user_id="u1", currency="USD", lines=tuple(
            c.LineRequest(sku=sku, quantity=q) for sku, q in lines)))["order_id"])

    def left_paying(self, order_id: str, source: str, *, reaches: bool = True) -> str:
        bus: MessageBus = self.lossy[reaches][0]
        with pytest.raises(ConnectionError):
            bus.handle(c.PayOrder(order_id=order_id, method=PaymentMethod.card, source=source))
        return order_id

    def order(self, order_id: str) -> dict[str, object]:
        return self.api.read(reads.get_order, order_id=order_id)

    def stock(self, sku: str) -> tuple[int, int]:
        found = self.api.read(reads.get_stock, sku=sku)
        return found["available"], found["reserved"]

    def events(self) -> list[tuple[str, str]]:
        """(event type, aggregate) of every outbox row, in order."""
        with self.engine.connect() as conn:
            return [(r.event_type, r.aggregate_key) for r in conn.execute(
                select(outbox.c.event_type, outbox.c.aggregate_key).order_by(outbox.c.id))]

    def sweeper(self, **kw: float) -> tuple[Sweeper, object]:
        options = {"payment_timeout_s": 60.0, "reservation_ttl_s": 600.0, **kw}
        return build_sweeper(database_url=self.url, **options)  # type: ignore[arg-type]


@pytest.fixture
def shop(core_database_url: str) -> Iterator[Shop]:
    s = Shop(core_database_url)
    yield s
    s.close()


def test_payments_left_paying_finish_from_the_gateways_answer(shop: Shop):
    shop.product("mug", 10)
    paid = shop.left_paying(shop.place(("mug", 2)), APPROVED)
    declined = shop.left_paying(shop.place(("mug", 1)), DECLINED)
    lost = shop.left_paying(shop.place(("mug", 3)), APPROVED, reaches=False)
    assert shop.stock("mug") == (4, 6)
    sweeper, close = shop.sweeper()
    try:
        assert sweeper.run_once(now=later(30)) == SweepReport()  # within the timeout
        report = sweeper.run_once(now=later(61))
        assert (report.paid, report.failed, report.errors) == (1, 2, 0)
        assert sweeper.run_once(now=later(3600)) == SweepReport()  # nothing twice
    finally:
        close()  # type: ignore[operator]
    assert shop.order(paid)["status"] == "paid"
    assert shop.order(declined)["failure_reason"] == "card_declined"
    assert shop.order(lost)["failure_reason"] == PAYMENT_TIMEOUT
    assert shop.stock("mug") == (8, 0)  # the paid units sold, the others available again
    # The failed order's key is closed: neither a late charge nor the customer's retry moves
    # money (the sandbox answers the sweeper's decline; the order is refused).
    late = shop.sandbox.charge(PaymentRequest(
        idempotency_key=f"order-{lost}", amount=Money(amount=Decimal("7.50"), currency="USD"),
        method=PaymentMethod.card, source=APPROVED))
    assert not late.approved and late.reason == PAYMENT_TIMEOUT
    with pytest.raises(InvalidTransition):
        shop.api.handle(c.PayOrder(order_id=lost, method=PaymentMethod.card, source=APPROVED))
    types = Counter(kind for kind, _ in shop.events())
    assert types["payment_succeeded"] == 1 and types["payment_failed"] == 2


def test_unpaid_reservations_past_the_ttl_are_released_with_their_events(shop: Shop):
    shop.product("mug", 10)
    shop.product("cup", 5)
    old = shop.place(("mug", 4), ("cup", 5))
    sweeper, close = shop.sweeper()
    try:
        assert sweeper.run_once(now=later(590)).expired == 0  # within the TTL: untouched
        assert shop.order(old)["status"] == "placed" and shop.stock("cup") == (0, 5)
        before = len(shop.events())
        assert sweeper.run_once(now=later(601)).expired == 1
        assert sweeper.run_once(now=later(601)).expired == 0
    finally:
        close()  # type: ignore[operator]
    order = shop.order(old)
    assert order["status"] == "cancelled" and order["failure_reason"] == RESERVATION_EXPIRED
    assert shop.stock("mug") == (10, 0) and shop.stock("cup") == (5, 0)
    assert sorted(shop.events()[before:]) == [
        ("inventory_adjusted", "stock:cup"), ("inventory_adjusted", "stock:mug"),
        ("order_cancelled", f"order:{old}")]


def test_two_sweepers_at_once_handle_every_order_exactly_once(core_postgres_url: str):
    shop = Shop(core_postgres_url)
    try:
        skus = [f"p{n}" for n in range(4)]
        for sku in skus:
            shop.product(sku, 1000)
        placed = [shop.place((skus[n % 4], 1 + n % 3), (skus[(n + 1) % 4], 1))
                  for n in range(40)]
        paying = placed[:16]
        for n, order_id in enumerate(paying):
            shop.left_paying(order_id, APPROVED if n % 2 else DECLINED, reaches=n % 4 != 0)
        # An hour ago, as the clock will run: a claim restarts an order's clock, so what
        # one sweeper claimed is not due for the other (a `now` far ahead would defeat it).
        with shop.engine.begin() as conn:
            conn.execute(update(orders).values(
                status_changed_at=datetime.now(UTC) - timedelta(hours=1)))
        sweepers = [shop.sweeper(batch_size=5, payment_timeout_s=600, reservation_ttl_s=600)
                    for _ in range(2)]
        start = threading.Barrier(2)
        reports: list[SweepReport] = []

        def sweep(sweeper: Sweeper) -> None:
            start.wait()
            total = SweepReport()
            while True:  # until a round finds nothing due
                report = sweeper.run_once()
                total.add(report)
                if report == SweepReport():
                    break
            reports.append(total)

        threads = [threading.Thread(target=sweep, args=(s,)) for s, _ in sweepers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for _, close in sweepers:
            close()  # type: ignore[operator]
        assert len(reports) == 2
        assert sum(r.expired for r in reports) == 24
        assert sum(r.paid + r.failed for r in reports) == 16
        assert sum(r.errors for r in reports) == 0
        events = shop.events()
        finals = Counter(agg for kind, agg in events
                         if kind in {"order_cancelled", "payment_succeeded", "payment_failed"})
        assert finals == {f"order:{o}": 1 for o in placed}  # each order settled once
        releases = Counter(agg for kind, agg in events if kind == "inventory_adjusted")
        sold = {sku: 0 for sku in skus}
        for order_id in placed:
            order = shop.order(order_id)
            assert order["status"] in {"cancelled", "paid", "payment_failed"}
            for line in order["lines"]:  # type: ignore[attr-defined]
                if order["status"] == "paid":
                    sold[line["sku"]] += line["quantity"]
        for sku in skus:
            assert shop.stock(sku) == (1000 - sold[sku], 0)  # nothing released twice
        # restock + one reservation per line + one release per unpaid line
        lines = Counter(line["sku"] for o in placed
                        for line in shop.order(o)["lines"])  # type: ignore[attr-defined]
        unpaid = Counter(line["sku"] for o in placed if shop.order(o)["status"] != "paid"
                         for line in shop.order(o)["lines"])  # type: ignore[attr-defined]
        assert releases == {f"stock:{s}": 1 + lines[s] + unpaid[s] for s in skus}
    finally:
        shop.close()


def test_pay_and_cancel_write_their_events(shop: Shop):
    """Regression: an order autoflushed by the stock's row lock, then unreferenced, kept its
    events out of the outbox (the identity map holds clean objects weakly)."""
    shop.product("mug", 10)
    paid, cancelled = shop.place(("mug", 1)), shop.place(("mug", 2))
    shop.api.handle(c.PayOrder(order_id=paid, method=PaymentMethod.card, source=APPROVED))
    shop.api.handle(c.CancelOrder(order_id=cancelled))
    events = set(shop.events())
    assert {("payment_succeeded", f"order:{paid}"),
            ("order_cancelled", f"order:{cancelled}")} <= events
