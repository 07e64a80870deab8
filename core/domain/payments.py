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


class PaymentGateway(Protocol):
    """Charges money. A retry with the same idempotency key returns the first result."""

    def charge(self, request: PaymentRequest) -> PaymentResult: ...
