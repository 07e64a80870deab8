"""Request and response bodies of /v1/catalog and /v1/inventory."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.service_layer import commands
from serving.core_api.schemas.fields import (
    Answer,
    Body,
    Category,
    Id,
    MoneyIn,
    MoneyOut,
    Tags,
    Text,
    Title,
)


class ProductIn(Body):
    sku: Id
    title: Title
    description: Text = ""
    category: Category
    tags: Tags = ()
    price: MoneyIn

    def to_command(self, *, create_only: bool) -> commands.UpsertProduct:
        return commands.UpsertProduct(sku=self.sku, title=self.title, price=self.price.to_money(),
                                      category=self.category, description=self.description,
                                      tags=self.tags, create_only=create_only)


class ProductPatch(Body):
    title: Title | None = None
    description: Text | None = None
    category: Category | None = None
    tags: Tags | None = None
    price: MoneyIn | None = None

    def to_command(self, sku: str) -> commands.UpdateProduct:
        return commands.UpdateProduct(
            sku=sku, title=self.title, description=self.description, category=self.category,
            tags=self.tags, price=self.price.to_money() if self.price else None)


class ProductsIn(Body):
    products: Annotated[tuple[ProductIn, ...], Field(min_length=1, max_length=1000)]


class ListingIn(Body):
    seller_id: Id
    sku: Id
    price: MoneyIn


class RestockIn(Body):
    # Stock beyond the contract's MAX_STOCK in all is refused (422 naming `on_hand`).
    quantity: Annotated[int, Field(gt=0, le=1_000_000)]


class ProductOut(Answer):
    sku: str
    title: str
    description: str
    category: str
    tags: list[str]
    price: MoneyOut
    version: int


class ProductsOut(Answer):
    items: list[ProductOut]
    count: int


class ProductPage(Answer):
    items: list[ProductOut]
    offset: int
    limit: int
    has_more: bool = Field(description="Whether products follow this page.")


class ListingOut(Answer):
    listing_id: str
    seller_id: str
    sku: str
    price: MoneyOut


class StockOut(Answer):
    sku: str
    available: int = Field(description="Units that can be ordered.")
    reserved: int = Field(description="Units held by unpaid orders.")
