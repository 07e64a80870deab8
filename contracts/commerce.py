"""Commerce events: browsing, carts, orders, payments, inventory, listings, reviews.

Amounts are 0 to 10^9 rounded to the cent, quantities 1 to 100,000, stock and its deltas
within 10^9 (see contracts/envelope.py for why).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import (
    Amount,
    Count,
    Envelope,
    Id,
    Line,
    Quantity,
    Stock,
    StockDelta,
)

MAX_LINES = 1000


class ProductViewed(Envelope):
    event_type: Literal["product_viewed"] = "product_viewed"
    product_id: Id
    category: Id
    price: Amount


class ProductSearched(Envelope):
    event_type: Literal["product_searched"] = "product_searched"
    query: Line
    results: Count


class CartItemAdded(Envelope):
    event_type: Literal["cart_item_added"] = "cart_item_added"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


class CartItemRemoved(Envelope):
    event_type: Literal["cart_item_removed"] = "cart_item_removed"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


class CheckoutStarted(Envelope):
    event_type: Literal["checkout_started"] = "checkout_started"
    cart_value: Amount


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product_id: Id
    quantity: Quantity
    unit_price: Amount


class OrderPlaced(Envelope):
    event_type: Literal["order_placed"] = "order_placed"
    order_id: Id
    lines: Annotated[tuple[OrderLine, ...], Field(min_length=1, max_length=MAX_LINES)]
    total: Amount
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class PaymentSucceeded(Envelope):
    event_type: Literal["payment_succeeded"] = "payment_succeeded"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: Line | None = None


class PaymentFailed(Envelope):
    event_type: Literal["payment_failed"] = "payment_failed"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: Line | None = None


class OrderCancelled(Envelope):
    event_type: Literal["order_cancelled"] = "order_cancelled"
    order_id: Id


class InventoryAdjusted(Envelope):
    event_type: Literal["inventory_adjusted"] = "inventory_adjusted"
    product_id: Id
    delta: StockDelta
    reason: Literal["sale", "restock", "return", "correction"]
    on_hand: Stock


class ListingCreated(Envelope):
    event_type: Literal["listing_created"] = "listing_created"
    listing_id: Id
    seller_id: Id
    product_id: Id
    price: Amount


class ReviewPosted(Envelope):
    event_type: Literal["review_posted"] = "review_posted"
    product_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=20_000)] = ""
