"""Order handlers: place (reserving stock), pay, cancel, fulfil."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from core.domain.errors import InvalidInput
from core.domain.orders import Order, OrderLine, OrderStatus
from core.domain.payments import PaymentGateway, PaymentRequest, PaymentResult
from core.service_layer import commands, views
from core.service_layer.handlers.lookups import require
from core.service_layer.messagebus import CallOutside
from core.service_layer.unit_of_work import UnitOfWork


def place_order(cmd: commands.PlaceOrder, uow: UnitOfWork,
                new_id: Callable[[], str]) -> views.View:
    lines = []
    for i, req in enumerate(cmd.lines):
        product = require(uow.products, req.sku, what="product",
                          field=f"lines.{i}.product_id", error=InvalidInput)
        lines.append(OrderLine(product_sku=req.sku, quantity=req.quantity,
                               unit_price=product.price))
    order = Order(order_id=new_id(), user_id=cmd.user_id, currency=cmd.currency, lines=lines)
    # Lock the stock rows in one global order (by sku) so two orders cannot deadlock.
    for i, req in sorted(enumerate(cmd.lines), key=lambda pair: pair[1].sku):
        stock = require(uow.stock, req.sku, what="product", field=f"lines.{i}.product_id",
                        for_update=True, error=InvalidInput)
        stock.reserve(req.quantity, field=f"lines.{i}.quantity", user_id=cmd.user_id)
    uow.orders.add(order)
    return views.order(order)


def release_stock(order: Order, uow: UnitOfWork) -> None:
    for line in sorted(order.lines, key=lambda ln: ln.product_sku):
        stock = require(uow.stock, line.product_sku, what="product", field="lines",
                        for_update=True)
        stock.release(line.quantity, user_id=order.user_id)


def record_payment(order: Order, result: PaymentResult, uow: UnitOfWork) -> None:
    """The gateway's answer for a `paying` order, with its stock committed or released."""
    order.settle(result=result)
    if result.approved:
        for line in sorted(order.lines, key=lambda ln: ln.product_sku):
            stock = require(uow.stock, line.product_sku, what="product", field="lines",
                            for_update=True)
            stock.commit(line.quantity)
    else:
        release_stock(order, uow)


def pay_order(cmd: commands.PayOrder, uow: UnitOfWork,
              gateway: PaymentGateway) -> CallOutside[PaymentResult]:
    order = require(uow.orders, cmd.order_id, what="order", field="order_id", for_update=True)
    order.begin_payment(method=cmd.method)
    request = PaymentRequest(idempotency_key=order.payment_key, amount=order.total,
                             method=cmd.method, source=cmd.source)
    # `paying` is committed before the charge: the charge (a network call to a real gateway)
    # then holds no row lock and no transaction, and a concurrent cancel is refused instead
    # of racing it. The answer is recorded in a second unit of work.
    return CallOutside(call=partial(gateway.charge, request),
                       then=partial(_record_charge, cmd.order_id))


def _record_charge(order_id: str, result: PaymentResult, uow: UnitOfWork) -> views.View:
    order = require(uow.orders, order_id, what="order", field="order_id", for_update=True)
    if order.status != OrderStatus.paying and order.payment_reference == result.reference:
        return views.order(order)  # the sweeper recorded this same answer meanwhile
    record_payment(order, result, uow)
    return views.order(order)


def cancel_order(cmd: commands.CancelOrder, uow: UnitOfWork) -> views.View:
    order = require(uow.orders, cmd.order_id, what="order", field="order_id", for_update=True)
    order.cancel()
    release_stock(order, uow)
    return views.order(order)


def fulfil_order(cmd: commands.FulfilOrder, uow: UnitOfWork) -> views.View:
    order = require(uow.orders, cmd.order_id, what="order", field="order_id", for_update=True)
    order.fulfil()
    return views.order(order)
