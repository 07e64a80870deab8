"""/v1/orders: place (reserving stock), pay, cancel, fulfil, get.

POST /v1/orders and /pay take an `Idempotency-Key` header: a retry with the same key and body
returns the first result, whatever happened in between.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException

from core.service_layer import commands, reads
from core.service_layer.views import View
from serving.core_api import links
from serving.core_api.runtime import CONFLICT, ERRORS, execute, execute_async, read
from serving.core_api.schemas.fields import IdempotencyKey, IdPath
from serving.core_api.schemas.orders import OrderIn, OrderOut, PaymentDeclinedError, PaymentIn
from serving.deps import CoreDep
from serving.edge.auth import Principal, require_scope

router = APIRouter(prefix="/v1/orders", tags=["orders"], responses=ERRORS)
Writer = Annotated[Principal, Depends(require_scope("orders:write"))]
Reader = Annotated[Principal, Depends(require_scope("orders:read", "orders:write"))]
KeyHeader = Annotated[IdempotencyKey, Header(alias="Idempotency-Key")]


def _scoped_key(principal: Principal, action: str, key: str | None) -> str | None:
    return None if key is None else f"{principal.key_id}:{action}:{key}"


@router.post("", status_code=201, response_model=OrderOut, responses={**links.ORDER, **CONFLICT})
async def place_order(body: OrderIn, bus: CoreDep, principal: Writer,
                      idempotency_key: KeyHeader = None) -> View:
    """Reserve the stock and place the order; 409 when a line is out of stock."""
    # async: on PostgreSQL the order path needs no worker thread (docs/core.md)
    return await execute_async(bus, body.to_command(),
                               idempotency_key=_scoped_key(principal, "place",
                                                           idempotency_key))


@router.post("/{order_id}/pay", response_model=OrderOut, responses={
    **CONFLICT, 402: {"model": PaymentDeclinedError,
                      "description": "The gateway declined the payment"}})
def pay_order(order_id: IdPath, body: PaymentIn, bus: CoreDep, principal: Writer,
              idempotency_key: KeyHeader = None) -> View:
    """Charge through the payment gateway; 402 (stock released) when it declines."""
    order = execute(bus, commands.PayOrder(order_id=order_id, method=body.method,
                                           source=body.source),
                    idempotency_key=_scoped_key(principal, f"pay:{order_id}", idempotency_key))
    if order["status"] == "payment_failed":
        raise HTTPException(402, {"msg": f"payment declined: {order['failure_reason']}",
                                  "order": order})
    return order


@router.post("/{order_id}/cancel", response_model=OrderOut, responses=CONFLICT)
def cancel_order(order_id: IdPath, bus: CoreDep, _: Writer) -> View:
    """Cancel a placed order and release its stock; 409 once paid."""
    return execute(bus, commands.CancelOrder(order_id=order_id))


@router.post("/{order_id}/fulfil", response_model=OrderOut, responses=CONFLICT)
def fulfil_order(order_id: IdPath, bus: CoreDep, _: Writer) -> View:
    return execute(bus, commands.FulfilOrder(order_id=order_id))


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: IdPath, bus: CoreDep, _: Reader) -> View:
    return read(bus, reads.get_order, order_id=order_id)
