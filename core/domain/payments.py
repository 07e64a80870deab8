"""Payments: the gateway port and what goes through it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from core.domain.money import Money


class PaymentMethod(StrEnum):
    card = "card"
    wallet = "wallet"
    bank_transfer = "bank_transfer"


@dataclass(frozen=True, kw_only=True)
class PaymentRequest:
    idempotency_key: str
    amount: Money
    method: PaymentMethod
    source: str
    """Card number, wallet token or bank account, depending on the method."""


@dataclass(frozen=True, kw_only=True)
class PaymentResult:
    approved: bool
    reference: str
    reason: str | None = None


PAYMENT_TIMEOUT = "payment_timeout"
"""The decline `resolve` records for a key no charge reached."""


class PaymentGateway(Protocol):
    """Charges money. A retry with the same idempotency key returns the first result."""

    def charge(self, request: PaymentRequest) -> PaymentResult: ...

    def resolve(self, idempotency_key: str) -> PaymentResult:
        """The final answer under `idempotency_key`: the first charge's result when one was
        made, otherwise a decline (reason `payment_timeout`) recorded under the key, which a
        later charge with that key also gets, so no money can move after the order failed.
        A real provider does this by retrieving, or cancelling, the charge by its key."""
        ...
