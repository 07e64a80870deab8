"""Request bodies of /v1/orders."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.domain.payments import PaymentMethod
from core.service_layer import commands
from serving.core_api.schemas.common import PRINTED, Body, Currency, Id


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
