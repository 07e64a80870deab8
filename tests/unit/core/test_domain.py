from decimal import Decimal

import pytest

from core.domain.catalog import Product
from core.domain.errors import InvalidInput, InvalidTransition, OutOfStock
from core.domain.inventory import Stock
from core.domain.money import Money
from core.domain.orders import Order, OrderLine, OrderStatus
from core.domain.payments import PaymentMethod, PaymentResult


def usd(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="USD")


def test_money_is_exact_and_refuses_mixed_currencies():
    assert usd("0.10") + usd("0.20") == usd("0.30")
    assert usd("2.50") * 3 == usd("7.50")
    with pytest.raises(InvalidInput) as err:
        usd("1.00") + Money(amount=Decimal(1), currency="EUR")
    assert err.value.field == "currency"
    with pytest.raises(InvalidInput):
        Money(amount=Decimal("1.001"), currency="USD")
    with pytest.raises(InvalidInput):
        Money(amount=Decimal(1), currency="usd")


def test_stock_is_never_negative():
    stock = Stock(product_sku="p1", available=2)
    stock.reserve(2)
    with pytest.raises(OutOfStock):
        stock.reserve(1)
    assert (stock.available, stock.reserved) == (0, 2)
    stock.release(1)
    stock.commit(1)
    assert (stock.available, stock.reserved) == (1, 0)
    events = stock.take_events()
    assert [(e.delta, e.reason, e.on_hand) for e in events] == [(-2, "sale", 0),
                                                               (1, "correction", 1)]


def _order(currency: str = "USD") -> Order:
    return Order(order_id="o1", user_id="u1", currency=currency, lines=[
        OrderLine(product_sku="a", quantity=2, unit_price=usd("1.25")),
        OrderLine(product_sku="b", quantity=1, unit_price=usd("0.50"))])


def test_order_totals_and_lifecycle():
    order = _order()
    assert order.total == usd("3.00")
    with pytest.raises(InvalidTransition):  # a charge is recorded only for a claimed order
        order.settle(result=PaymentResult(approved=True, reference="r"))
    order.begin_payment(method=PaymentMethod.card)
    with pytest.raises(InvalidTransition):  # no cancel while the gateway charges
        order.cancel()
    order.begin_payment(method=PaymentMethod.card)  # a retry after a crash mid-charge: again
    order.settle(result=PaymentResult(approved=True, reference="r"))
    assert order.status == OrderStatus.paid
    with pytest.raises(InvalidTransition):
        order.cancel()
    order.fulfil()
    assert [e.event_type for e in order.take_events()] == ["order_placed", "payment_succeeded"]


def test_order_refuses_a_currency_other_than_its_prices():
    with pytest.raises(InvalidInput) as err:
        _order(currency="EUR")
    assert err.value.field == "currency"


def test_product_price_keeps_its_currency():
    p = Product(sku="s", title="t", price=usd("1.00"), category="c")
    with pytest.raises(InvalidInput) as err:
        p.update(price=Money(amount=Decimal(1), currency="EUR"))
    assert err.value.field == "price.currency"
