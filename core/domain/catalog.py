"""Catalog: products sold by the platform and marketplace listings by sellers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.domain.aggregate import Aggregate
from core.domain.errors import InvalidInput
from core.domain.events import ListingCreated
from core.domain.money import Money


def _non_negative(price: Money, field: str) -> Money:
    if price.amount < 0:
        raise InvalidInput("price must not be negative", field=field)
    return price


class Product(Aggregate):
    def __init__(self, *, sku: str, title: str, price: Money, category: str,
                 description: str = "", tags: Iterable[str] = ()) -> None:
        self.sku = sku
        self.title = title
        self.description = description
        self.category = category
        self.tags = list(tags)
        self.price = _non_negative(price, "price.amount")
        self.version = 1
        self.created_at = datetime.now(UTC)  # its publication, for freshness rules

    def update(self, *, title: str | None = None, description: str | None = None,
               category: str | None = None, tags: Iterable[str] | None = None,
               price: Money | None = None) -> None:
        """Change the given fields; a price keeps the product's currency."""
        if price is not None:
            if price.currency != self.price.currency:
                raise InvalidInput(
                    f"product {self.sku} is priced in {self.price.currency}, not {price.currency}",
                    field="price.currency")
            self.price = _non_negative(price, "price.amount")
        if title is not None:
            self.title = title
        if description is not None:
            self.description = description
        if category is not None:
            self.category = category
        if tags is not None:
            self.tags = list(tags)


class Listing(Aggregate):
    """A seller's offer of a catalog product in the user-to-user marketplace."""

    def __init__(self, *, listing_id: str, seller_id: str, product_sku: str, price: Money) -> None:
        self.listing_id = listing_id
        self.seller_id = seller_id
        self.product_sku = product_sku
        self.price = _non_negative(price, "price.amount")
        self.version = 1
        self.record(ListingCreated(listing_id=listing_id, seller_id=seller_id,
                                   product_id=product_sku, price=price.amount, user_id=seller_id))
