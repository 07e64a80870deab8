"""The sweeper's rules on the fake unit of work: payments left `paying`, unpaid reservations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.adapters.sandbox_payments import SandboxPaymentGateway
from core.bootstrap import bootstrap
from core.domain.errors import InvalidTransition
from core.domain.money import Money
from core.domain.orders import RESERVATION_EXPIRED, Order, OrderLine, OrderStatus
from core.domain.payments import PAYMENT_TIMEOUT, PaymentMethod, PaymentRequest, PaymentResult
from core.entrypoints.sweeper import Sweeper
from core.service_layer import commands as c
from core.service_layer import reads
from tests.unit.core.fakes import FakeUnitOfWork, LostCharge

APPROVED, DECLINED = "4242424242424242", "4000000000000002"


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


class Shop:
    """One fake database, one sandbox; the API's link to it loses answers when told to."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.sandbox = SandboxPaymentGateway()
        self.api = bootstrap(uow_factory=lambda: self.uow, gateway=self.sandbox)
        self.sweeper = Sweeper(bus=bootstrap(uow_factory=lambda: self.uow, gateway=self.sandbox),
                               payment_timeout_s=60, reservation_ttl_s=600, batch_size=10)
        self.api.handle(c.UpsertProduct(sku="mug", title="Mug", price=usd("4.50"),
                                        category="home"))
        self.api.handle(c.Restock(sku="mug", quantity=10))

    def place(self, quantity: int) -> str:
        return str(self.api.handle(c.PlaceOrder(user_id="u1", currency="USD", lines=(
            c.LineRequest(sku="mug", quantity=quantity),)))["order_id"])

    def left_paying(self, quantity: int, source: str, *, reaches: bool = True) -> str:
        """An order whose pay request died mid-charge: `paying`, the charge made or not."""
        order_id = self.place(quantity)
        lossy = bootstrap(uow_factory=lambda: self.uow,
                          gateway=LostCharge(self.sandbox, reaches=reaches))
        with pytest.raises(ConnectionError):
            lossy.handle(c.PayOrder(order_id=order_id, method=PaymentMethod.card, source=source))
        assert self.status(order_id) == "paying"
        return order_id

    def status(self, order_id: str) -> str:
        return str(self.api.read(reads.get_order, order_id=order_id)["status"])

    def stock(self) -> tuple[int, int]:
        found = self.api.read(reads.get_stock, sku="mug")
        return found["available"], found["reserved"]


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_payments_left_paying_are_settled_from_the_gateways_answer(shop: Shop):
    paid = shop.left_paying(2, APPROVED)
    declined = shop.left_paying(1, DECLINED)
    lost = shop.left_paying(3, APPROVED, reaches=False)
    assert shop.stock() == (4, 6)
    assert shop.sweeper.run_once(now=later(30)).paid == 0  # within the timeout: untouched
    report = shop.sweeper.run_once(now=later(61))
    assert (report.paid, report.failed, report.errors) == (1, 2, 0)
    assert [shop.status(o) for o in (paid, declined, lost)] == [
        "paid", "payment_failed", "payment_failed"]
    order = shop.api.read(reads.get_order, order_id=lost)
    assert order["failure_reason"] == PAYMENT_TIMEOUT and order["payment_method"] == "card"
    assert shop.stock() == (8, 0)  # paid units gone for good, the others back
    # one key, one answer: a late charge of the failed order cannot move money
    late = shop.sandbox.charge(PaymentRequest(idempotency_key=f"order-{lost}",
                                              amount=usd("13.50"), method=PaymentMethod.card,
                                              source=APPROVED))
    assert not late.approved and late.reason == PAYMENT_TIMEOUT
    assert shop.sweeper.run_once(now=later(3600)).paid == 0  # nothing twice
    types = [e.event_type for e in shop.uow.outbox]
    assert types.count("payment_succeeded") == 1 and types.count("payment_failed") == 2


def test_unpaid_reservations_past_their_ttl_are_released(shop: Shop):
    old = shop.place(4)
    assert shop.sweeper.run_once(now=later(599)).expired == 0
    seen = len(shop.uow.outbox)
    assert shop.sweeper.run_once(now=later(601)).expired == 1
    order = shop.api.read(reads.get_order, order_id=old)
    assert order["status"] == "cancelled" and order["failure_reason"] == RESERVATION_EXPIRED
    assert shop.stock() == (10, 0)
    events = shop.uow.outbox[seen:]
    assert sorted(e.event_type for e in events) == ["inventory_adjusted", "order_cancelled"]
    adjusted = next(e for e in events if e.event_type == "inventory_adjusted")
    assert (adjusted.delta, adjusted.reason, adjusted.on_hand) == (4, "correction", 10)  # type: ignore[attr-defined]
    assert shop.sweeper.run_once(now=later(601)).expired == 0


def test_a_fresh_order_is_left_alone_and_batches_are_bounded(shop: Shop):
    for _ in range(5):
        shop.place(1)
    shop.sweeper.batch_size = 2
    first = shop.sweeper.run_once(now=later(601))
    assert first.expired == 2 and first.full  # the next round comes at once
    assert shop.sweeper.run_once(now=later(601)).expired == 2
    last = shop.sweeper.run_once(now=later(601))
    assert last.expired == 1 and not last.full
    fresh = shop.place(1)
    shop.sweeper.run_once(now=later(60))
    assert shop.status(fresh) == "placed"


class Unreachable:
    def charge(self, request: PaymentRequest) -> None:
        raise AssertionError("the sweeper never charges")

    def resolve(self, idempotency_key: str) -> None:
        raise TimeoutError("gateway unreachable")


def test_an_unreachable_gateway_leaves_the_order_for_the_next_timeout(shop: Shop):
    order_id = shop.left_paying(1, APPROVED)
    sweeper = Sweeper(bus=bootstrap(uow_factory=lambda: shop.uow, gateway=Unreachable()),  # type: ignore[arg-type]
                      payment_timeout_s=60)
    report = sweeper.run_once(now=later(61))
    assert report.errors == 1 and shop.status(order_id) == "paying"
    # the claim restarted its clock: not asked again before another timeout
    assert sweeper.run_once(now=later(30)).errors == 0
    assert shop.sweeper.run_once(now=later(61)).paid == 1


class SweptMeanwhile:
    """A slow answer: while it travels back, the sweeper asks the gateway and records it."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def charge(self, request: PaymentRequest) -> PaymentResult:
        result = self.shop.sandbox.charge(request)
        assert self.shop.sweeper.run_once(now=later(61)).paid == 1
        return result

    def resolve(self, idempotency_key: str) -> PaymentResult:
        raise AssertionError("only the sweeper resolves")


def test_the_api_finishing_after_the_sweeper_answers_the_same_result(shop: Shop):
    order_id = shop.left_paying(1, APPROVED)
    slow = bootstrap(uow_factory=lambda: shop.uow, gateway=SweptMeanwhile(shop))
    pay = c.PayOrder(order_id=order_id, method=PaymentMethod.card, source=APPROVED)
    assert slow.handle(pay)["status"] == "paid"  # not a 409: the same charge, recorded once
    assert [e.event_type for e in shop.uow.outbox].count("payment_succeeded") == 1
    with pytest.raises(InvalidTransition):  # a paid order is not charged again
        shop.api.handle(pay)
    assert shop.stock() == (9, 0)


def test_expire_refuses_an_order_that_left_placed():
    order = Order(order_id="o", user_id="u", currency="USD",
                  lines=[OrderLine(product_sku="a", quantity=1, unit_price=usd("1.00"))])
    before = order.status_changed_at
    order.begin_payment(method=PaymentMethod.wallet)
    assert order.payment_method == "wallet" and order.status_changed_at >= before
    with pytest.raises(InvalidTransition):
        order.expire()
    assert order.status == OrderStatus.paying
