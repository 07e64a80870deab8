"""Request and response bodies of /v1/orders."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.domain.orders import OrderStatus
from core.domain.payments import PaymentMethod
from core.service_layer import commands
from serving.core_api.schemas.fields import PRINTED, Answer, Body, Currency, Id, MoneyOut


class LineIn(Body):
    product_id: Id
    quantity: Annotated[int, Field(gt=0, le=100_000)]


class OrderIn(Body):
    user_id: Id
    currency: Currency
    lines: Annotated[tuple[LineIn, ...], Field(min_length=1, max_length=100)]

    def to_command(self) -> commands.PlaceOrder:
        return commands.PlaceOrder(
            user_id=self.user_id, currency=self.currency,
            lines=tuple(commands.LineRequest(sku=ln.product_id, quantity=ln.quantity)
                        for ln in self.lines))


class PaymentIn(Body):
    method: PaymentMethod
    source: Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTED,
                                 description="card number, wallet token or bank account")]


class OrderLineOut(Answer):
    sku: str
    quantity: int
    unit_price: MoneyOut


class OrderOut(Answer):
    order_id: str
    user_id: str
    status: OrderStatus
    currency: str
    total: MoneyOut
    lines: list[OrderLineOut]
    payment_method: PaymentMethod | None
    payment_reference: str | None
    failure_reason: str | None


class PaymentDeclined(Answer):
    msg: str
    order: OrderOut


class PaymentDeclinedError(Answer):
    """402: the gateway declined; the order is `payment_failed` and its stock released."""

    detail: PaymentDeclined
