"""/v1/catalog: products (create, update, get, list with paging, bulk upsert) and listings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from core.service_layer import commands, reads
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, read
from serving.core_api.schemas.catalog import (
    ListingIn,
    ListingOut,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    ProductsIn,
    ProductsOut,
)
from serving.core_api.schemas.fields import CategoryQuery, IdPath, Offset
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], responses=ERRORS)
Writer = Annotated[Principal, Depends(require_scope("catalog:write"))]


@router.post("/products", status_code=201, response_model=ProductOut,
             responses={**links.PRODUCT, **CONFLICT})
def create_product(body: ProductIn, bus: CoreDep, _: Writer) -> View:
    """Create a product (with zero stock); 409 if the sku exists."""
    return execute(bus, body.to_command(create_only=True))


@router.put("/products", response_model=ProductsOut, responses=CONFLICT)
def upsert_products(body: ProductsIn, bus: CoreDep, _: Writer) -> View:
    """Create or replace up to 1000 products in one transaction: all or nothing."""
    return execute(bus, commands.UpsertProducts(
        products=tuple(p.to_command(create_only=False) for p in body.products)))


@router.patch("/products/{sku}", response_model=ProductOut, responses=CONFLICT)
def update_product(sku: IdPath, body: ProductPatch, bus: CoreDep, _: Writer) -> View:
    return execute(bus, body.to_command(sku))


@router.get("/products/{sku}", response_model=ProductOut)
def get_product(sku: IdPath, bus: CoreDep) -> View:
    return read(bus, reads.get_product, sku=sku)


@router.get("/products", response_model=ProductPage)
def list_products(bus: CoreDep, offset: Offset = 0,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  category: CategoryQuery = None) -> View:
    return read(bus, reads.list_products, offset=offset, limit=limit, category=category)


@router.post("/listings", status_code=201, response_model=ListingOut, responses=CONFLICT)
def create_listing(body: ListingIn, bus: CoreDep, _: Writer) -> View:
    """A seller's marketplace listing of a catalog product."""
    return execute(bus, commands.CreateListing(seller_id=body.seller_id, sku=body.sku,
                                               price=body.price.to_money()))
