"""/v1/inventory/{product_id}: stock levels and restocking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from core.service_layer import commands, reads
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, read
from serving.core_api.schemas.catalog import RestockIn, StockOut
from serving.core_api.schemas.fields import IdPath
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/inventory", tags=["inventory"], responses=ERRORS)
Writer = Annotated[Principal, Depends(require_scope("inventory:write"))]


@router.get("/{product_id}", response_model=StockOut)
def get_stock(product_id: IdPath, bus: CoreDep) -> View:
    """Units available to order and units reserved by unpaid orders."""
    return read(bus, reads.get_stock, sku=product_id)


@router.post("/{product_id}/restock", response_model=StockOut,
             responses={**links.STOCK, **CONFLICT})
def restock(product_id: IdPath, body: RestockIn, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.Restock(sku=product_id, quantity=body.quantity))
