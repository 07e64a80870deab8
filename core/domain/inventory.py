"""Inventory: stock per product, reserved by orders, never negative."""

from __future__ import annotations

from core.domain.aggregate import Aggregate
from core.domain.errors import InvalidInput, OutOfStock
from core.domain.events import InventoryAdjusted


def out_of_stock(sku: str, quantity: int, available: int, *, field: str) -> OutOfStock:
    return OutOfStock(f"product {sku}: {quantity} requested, {available} available",
                      field=field)


def reservation(*, sku: str, quantity: int, on_hand: int,
                user_id: str | None) -> InventoryAdjusted:
    """The event of `quantity` units of `sku` reserved, `on_hand` left available: what
    `Stock.reserve` records, and what the order path records when the store reserved them
    with one conditional update (`available >= quantity`) instead of loading the row."""
    return InventoryAdjusted(product_id=sku, delta=-quantity, reason="sale", on_hand=on_hand,
                             user_id=user_id)


class Stock(Aggregate):
    """`available` can be reserved; `reserved` is held by placed, unpaid orders."""

    def __init__(self, *, product_sku: str, available: int = 0, reserved: int = 0) -> None:
        if available < 0 or reserved < 0:
            raise InvalidInput("stock must not be negative", field="quantity")
        self.product_sku = product_sku
        self.available = available
        self.reserved = reserved
        self.version = 1

    def _adjusted(self, delta: int, reason: str, user_id: str | None) -> None:
        self.record(InventoryAdjusted(product_id=self.product_sku, delta=delta, reason=reason,
                                      on_hand=self.available, user_id=user_id))

    def reserve(self, quantity: int, *, field: str = "quantity",
                user_id: str | None = None) -> None:
        if quantity <= 0:
            raise InvalidInput("quantity must be positive", field=field)
        if quantity > self.available:
            raise out_of_stock(self.product_sku, quantity, self.available, field=field)
        self.available -= quantity
        self.reserved += quantity
        self.record(reservation(sku=self.product_sku, quantity=quantity,
                                on_hand=self.available, user_id=user_id))

    def release(self, quantity: int, *, user_id: str | None = None) -> None:
        """An order was cancelled or its payment failed: the units are available again."""
        quantity = min(quantity, self.reserved)
        self.reserved -= quantity
        self.available += quantity
        self._adjusted(quantity, "correction", user_id)

    def commit(self, quantity: int) -> None:
        """The order was paid: the reserved units are gone for good."""
        self.reserved -= min(quantity, self.reserved)

    def restock(self, quantity: int) -> None:
        if quantity <= 0:
            raise InvalidInput("quantity must be positive", field="quantity")
        self.available += quantity
        self._adjusted(quantity, "restock", None)
