"""Commerce events: browsing, carts, orders, payments, inventory, listings, reviews.

Amounts are 0 to 10^9 rounded to the cent, quantities 1 to 100,000, stock and its deltas
within 10^9 (see contracts/envelope.py for why). Each schema is followed by its declaration
(contracts/declaration.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.declaration import FACTS, STOREFRONT, EventDomain, EventSpec, Interaction, ItemRef
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
COMMERCE = EventDomain.commerce
PRODUCT = ItemRef(kind="product", field="product_id")


class ProductViewed(Envelope):
    event_type: Literal["product_viewed"] = "product_viewed"
    product_id: Id
    category: Id
    price: Amount


PRODUCT_VIEWED = EventSpec(
    schema=ProductViewed, domain=COMMERCE, key="product_id", publisher=STOREFRONT,
    item=PRODUCT, interaction=Interaction(weight=1.0),
    funnel="view", session_counter="views", counter="views")


class ProductSearched(Envelope):
    event_type: Literal["product_searched"] = "product_searched"
    query: Line
    results: Count


PRODUCT_SEARCHED = EventSpec(
    schema=ProductSearched, domain=COMMERCE, key=None, publisher=STOREFRONT,
    counter="searches")


class CartItemAdded(Envelope):
    event_type: Literal["cart_item_added"] = "cart_item_added"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


CART_ITEM_ADDED = EventSpec(
    schema=CartItemAdded, domain=COMMERCE, key="product_id", publisher=STOREFRONT,
    item=PRODUCT, interaction=Interaction(weight=3.0),
    funnel="cart", session_counter="cart_adds", counter="cart_adds")


class CartItemRemoved(Envelope):
    event_type: Literal["cart_item_removed"] = "cart_item_removed"
    product_id: Id
    quantity: Quantity
    unit_price: Amount


CART_ITEM_REMOVED = EventSpec(
    schema=CartItemRemoved, domain=COMMERCE, key="product_id", publisher=STOREFRONT,
    item=PRODUCT, interaction=Interaction(weight=-1.0))


class CheckoutStarted(Envelope):
    event_type: Literal["checkout_started"] = "checkout_started"
    cart_value: Amount


CHECKOUT_STARTED = EventSpec(
    schema=CheckoutStarted, domain=COMMERCE, key=None, publisher=STOREFRONT,
    funnel="checkout", session_counter="checkouts", counter="checkouts")


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


ORDER_PLACED = EventSpec(
    # A fact of the core (its outbox publishes it once committed), as are payments, cancellations,
    # stock and listings; its counters are exact, per event id (agents/commerce/logic.py).
    schema=OrderPlaced, domain=COMMERCE, key="order_id", publisher=FACTS,
    item=ItemRef(kind="product", field="product_id", each="lines"),
    interaction=Interaction(weight=5.0, excludes=True),
    funnel="purchase", session_counter="orders")


class PaymentSucceeded(Envelope):
    event_type: Literal["payment_succeeded"] = "payment_succeeded"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: Line | None = None


PAYMENT_SUCCEEDED = EventSpec(
    schema=PaymentSucceeded, domain=COMMERCE, key="order_id", publisher=FACTS)


class PaymentFailed(Envelope):
    event_type: Literal["payment_failed"] = "payment_failed"
    order_id: Id
    amount: Amount
    method: Literal["card", "wallet", "bank_transfer"]
    reason: Line | None = None


PAYMENT_FAILED = EventSpec(
    schema=PaymentFailed, domain=COMMERCE, key="order_id", publisher=FACTS)


class OrderCancelled(Envelope):
    event_type: Literal["order_cancelled"] = "order_cancelled"
    order_id: Id


ORDER_CANCELLED = EventSpec(
    schema=OrderCancelled, domain=COMMERCE, key="order_id", publisher=FACTS)


class InventoryAdjusted(Envelope):
    event_type: Literal["inventory_adjusted"] = "inventory_adjusted"
    product_id: Id
    delta: StockDelta
    reason: Literal["sale", "restock", "return", "correction"]
    on_hand: Stock


INVENTORY_ADJUSTED = EventSpec(
    schema=InventoryAdjusted, domain=COMMERCE, key="product_id", publisher=FACTS, item=PRODUCT)


class ListingCreated(Envelope):
    event_type: Literal["listing_created"] = "listing_created"
    listing_id: Id
    seller_id: Id
    product_id: Id
    price: Amount


LISTING_CREATED = EventSpec(
    schema=ListingCreated, domain=COMMERCE, key="product_id", publisher=FACTS, item=PRODUCT,
    counter="listings")


class ReviewPosted(Envelope):
    event_type: Literal["review_posted"] = "review_posted"
    product_id: Id
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=20_000)] = ""


REVIEW_POSTED = EventSpec(
    schema=ReviewPosted, domain=COMMERCE, key="product_id", publisher=STOREFRONT,
    item=PRODUCT, interaction=Interaction(weight=4.0), counter="reviews")

SPECS = (PRODUCT_VIEWED, PRODUCT_SEARCHED, CART_ITEM_ADDED, CART_ITEM_REMOVED, CHECKOUT_STARTED,
         ORDER_PLACED, PAYMENT_SUCCEEDED, PAYMENT_FAILED, ORDER_CANCELLED, INVENTORY_ADJUSTED,
         LISTING_CREATED, REVIEW_POSTED)
