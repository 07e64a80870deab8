"""Orders: the Order aggregate with its lines, totals and life cycle.

placed → paying → paid → fulfilled, or placed → cancelled, or placed → paying →
payment_failed. `paying` is held while the gateway charges, outside any transaction: a
retry finds it and charges again under the same idempotency key (same answer, one charge).
Stock is reserved by the handler placing the order and released on cancel or failure.
`status_changed_at` dates the current state: the sweeper settles orders left `paying` and
cancels `placed` ones whose reservation outlived its time to live.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from core.domain.aggregate import Aggregate
from core.domain.errors import InvalidInput, InvalidTransition
from core.domain.events import (
    OrderCancelled,
    OrderPlaced,
    PaymentFailed,
    PaymentSucceeded,
    PlacedLine,
)
from core.domain.money import Money
from core.domain.payments import PaymentMethod, PaymentResult

MAX_LINES = 100
RESERVATION_EXPIRED = "reservation_expired"


def payment_key(order_id: str) -> str:
    """The gateway's idempotency key of an order: every charge of it, and the sweeper's
    question about it, go under this one key, so money moves at most once."""
    return f"order-{order_id}"


class OrderStatus(StrEnum):
    placed = "placed"
    paying = "paying"
    paid = "paid"
    fulfilled = "fulfilled"
    cancelled = "cancelled"
    payment_failed = "payment_failed"


class OrderLine:
    def __init__(self, *, product_sku: str, quantity: int, unit_price: Money) -> None:
        self.product_sku = product_sku
        self.quantity = quantity
        self.unit_price = unit_price

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


class Order(Aggregate):
    def __init__(self, *, order_id: str, user_id: str, currency: str,
                 lines: Sequence[OrderLine]) -> None:
        if not lines:
            raise InvalidInput("an order needs at least one line", field="lines")
        if len(lines) > MAX_LINES:
            raise InvalidInput(f"an order has at most {MAX_LINES} lines", field="lines")
        seen: set[str] = set()
        total = Money.zero(currency)
        for i, line in enumerate(lines):
            if line.quantity <= 0:
                raise InvalidInput("quantity must be positive", field=f"lines.{i}.quantity")
            if line.product_sku in seen:
                raise InvalidInput(f"product {line.product_sku} appears twice",
                                   field=f"lines.{i}.product_id")
            if line.unit_price.currency != currency:
                raise InvalidInput(f"product {line.product_sku} is priced in "
                                   f"{line.unit_price.currency}, the order is in {currency}",
                                   field="currency")
            seen.add(line.product_sku)
            total = total + line.total
        self.order_id = order_id
        self.user_id = user_id
        self.lines = list(lines)
        self.total = total
        self.status = OrderStatus.placed
        self.status_changed_at = datetime.now(UTC)
        self.payment_method: str | None = None
        self.payment_reference: str | None = None
        self.failure_reason: str | None = None
        self.version = 1
        self.record(OrderPlaced(
            order_id=order_id, user_id=user_id, total=total.amount, currency=currency,
            lines=tuple(PlacedLine(product_id=ln.product_sku, quantity=ln.quantity,
                                   unit_price=ln.unit_price.amount) for ln in lines)))

    def ensure(self, *allowed: OrderStatus, action: str) -> None:
        """Refuse `action` unless the order is in one of the `allowed` states."""
        if self.status not in allowed:
            raise InvalidTransition(f"cannot {action} an order that is {self.status}",
                                    field="status")

    @property
    def payment_key(self) -> str:
        return payment_key(self.order_id)

    def _become(self, status: OrderStatus) -> None:
        self.status = status
        self.status_changed_at = datetime.now(UTC)

    def begin_payment(self, *, method: PaymentMethod) -> None:
        """Claim the order for a charge; an order left `paying` (a crash mid-charge) may be
        claimed again, the gateway's idempotency key keeping it one charge. Each claim
        restarts the clock the sweeper reads."""
        self.ensure(OrderStatus.placed, OrderStatus.paying, action="pay")
        self.payment_method = method.value
        self._become(OrderStatus.paying)

    def settle(self, *, result: PaymentResult) -> None:
        """Record the gateway's answer for the claimed method: paid, or payment_failed with
        its reason."""
        self.ensure(OrderStatus.paying, action="pay")
        method = self.payment_method or PaymentMethod.card.value  # claimed before 0003
        self.payment_reference = result.reference
        if result.approved:
            self._become(OrderStatus.paid)
            self.record(PaymentSucceeded(order_id=self.order_id, user_id=self.user_id,
                                         amount=self.total.amount, method=method))
        else:
            self._become(OrderStatus.payment_failed)
            self.failure_reason = result.reason or "declined"
            self.record(PaymentFailed(order_id=self.order_id, user_id=self.user_id,
                                      amount=self.total.amount, method=method,
                                      reason=self.failure_reason))

    def cancel(self, *, reason: str | None = None) -> None:
        self.ensure(OrderStatus.placed, action="cancel")
        self._become(OrderStatus.cancelled)
        self.failure_reason = reason
        self.record(OrderCancelled(order_id=self.order_id, user_id=self.user_id))

    def expire(self) -> None:
        """Never paid within the reservation's time to live: cancelled, so that its stock
        can be released and no caller holds units indefinitely."""
        self.cancel(reason=RESERVATION_EXPIRED)

    def fulfil(self) -> None:
        self.ensure(OrderStatus.paid, action="fulfil")
        self._become(OrderStatus.fulfilled)
