"""Catalog and inventory handlers."""

from __future__ import annotations

from collections.abc import Callable

from core.domain.catalog import Listing, Product
from core.domain.errors import Conflict, DomainError, InvalidInput
from core.domain.inventory import Stock
from core.service_layer import commands, views
from core.service_layer.handlers.lookups import prefixed, require
from core.service_layer.unit_of_work import UnitOfWork


def upsert_product(cmd: commands.UpsertProduct, uow: UnitOfWork) -> views.View:
    product = uow.products.get(cmd.sku, for_update=True)
    if product is None:
        product = Product(sku=cmd.sku, title=cmd.title, description=cmd.description,
                          category=cmd.category, tags=cmd.tags, price=cmd.price)
        uow.products.add(product)
        uow.stock.add(Stock(product_sku=cmd.sku))
    elif cmd.create_only:
        raise Conflict(f"product {cmd.sku!r} exists", field="sku")
    else:
        product.update(title=cmd.title, description=cmd.description, category=cmd.category,
                       tags=cmd.tags, price=cmd.price)
    return views.product(product)


def upsert_products(cmd: commands.UpsertProducts, uow: UnitOfWork) -> views.View:
    skus = [p.sku for p in cmd.products]
    if len(set(skus)) != len(skus):
        raise InvalidInput("a sku appears twice", field="products")
    items = []
    for i, item in enumerate(cmd.products):
        try:
            items.append(upsert_product(item, uow))
        except DomainError as exc:
            raise prefixed(exc, f"products.{i}") from None
    return {"items": items, "count": len(items)}


def update_product(cmd: commands.UpdateProduct, uow: UnitOfWork) -> views.View:
    product = require(uow.products, cmd.sku, what="product", field="sku", for_update=True)
    product.update(title=cmd.title, description=cmd.description, category=cmd.category,
                   tags=cmd.tags, price=cmd.price)
    return views.product(product)


def create_listing(cmd: commands.CreateListing, uow: UnitOfWork,
                   new_id: Callable[[], str]) -> views.View:
    product = require(uow.products, cmd.sku, what="product", field="sku", error=InvalidInput)
    if cmd.price.currency != product.price.currency:
        raise InvalidInput(f"product {cmd.sku} is priced in {product.price.currency}",
                           field="price.currency")
    listing = Listing(listing_id=new_id(), seller_id=cmd.seller_id, product_sku=cmd.sku,
                      price=cmd.price)
    uow.listings.add(listing)
    return views.listing(listing)


def restock(cmd: commands.Restock, uow: UnitOfWork) -> views.View:
    stock = require(uow.stock, cmd.sku, what="product", field="product_id", for_update=True)
    stock.restock(cmd.quantity)
    return views.stock(stock)
