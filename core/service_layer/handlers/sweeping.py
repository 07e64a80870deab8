"""The sweeper's handlers: reservations past their time to live, payments left `paying`.

Each handles a bounded batch in one transaction. Orders are taken with `FOR UPDATE SKIP
LOCKED` and every transition is checked under the row lock, so several sweepers (and the
API) can run at once and each order is settled or released exactly once.
"""

from __future__ import annotations

from functools import partial

from core.domain.orders import OrderStatus, payment_key
from core.domain.payments import PaymentGateway, PaymentMethod, PaymentResult
from core.service_layer import commands, views
from core.service_layer.handlers.lookups import require
from core.service_layer.handlers.orders import record_payment
from core.service_layer.messagebus import CallOutside
from core.service_layer.unit_of_work import UnitOfWork


def expire_reservations(cmd: commands.ExpireReservations, uow: UnitOfWork) -> views.View:
    overdue = uow.orders.overdue(status=OrderStatus.placed, before=cmd.before, limit=cmd.limit)
    # Every stock row of the batch locked in one global (sku) order, as placing an order
    # locks them, so a batch and concurrent orders cannot deadlock.
    skus = sorted({line.product_sku for order in overdue for line in order.lines})
    stock = {sku: require(uow.stock, sku, what="product", field="lines", for_update=True)
             for sku in skus}
    for order in overdue:
        order.expire()
        for line in order.lines:
            stock[line.product_sku].release(line.quantity, user_id=order.user_id)
    return {"expired": [order.order_id for order in overdue]}


def claim_stale_payments(cmd: commands.ClaimStalePayments, uow: UnitOfWork) -> views.View:
    """Claiming restarts each order's clock: another sweeper leaves it alone for a timeout,
    and an order whose gateway does not answer is asked again one timeout later."""
    stale = uow.orders.overdue(status=OrderStatus.paying, before=cmd.before, limit=cmd.limit)
    for order in stale:
        order.begin_payment(method=PaymentMethod(order.payment_method or PaymentMethod.card))
    return {"claimed": [order.order_id for order in stale]}


def resolve_payment(cmd: commands.ResolvePayment, uow: UnitOfWork,
                    gateway: PaymentGateway) -> views.View | CallOutside[PaymentResult]:
    order = require(uow.orders, cmd.order_id, what="order", field="order_id")
    if order.status != OrderStatus.paying:
        return {"order": views.order(order), "recorded": False}
    # A key no charge reached is closed by `resolve` with a decline: no late charge can
    # move money after this order is failed. No transaction is held during the call.
    return CallOutside(call=partial(gateway.resolve, payment_key(cmd.order_id)),
                       then=partial(_record_resolved, cmd.order_id))


def _record_resolved(order_id: str, result: PaymentResult, uow: UnitOfWork) -> views.View:
    order = require(uow.orders, order_id, what="order", field="order_id", for_update=True)
    if order.status != OrderStatus.paying:  # the API recorded the same answer meanwhile
        return {"order": views.order(order), "recorded": False}
    record_payment(order, result, uow)
    return {"order": views.order(order), "recorded": True}
