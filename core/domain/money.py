"""Money: an exact amount (Decimal) in one ISO 4217 currency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.domain.errors import InvalidInput

_CURRENCY = re.compile(r"^[A-Z]{3}$")
CENT = Decimal("0.01")


@dataclass(frozen=True, kw_only=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise InvalidInput(f"currency {self.currency!r} is not an ISO 4217 code",
                               field="currency")
        try:
            amount = Decimal(self.amount)
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidInput(f"amount {self.amount!r} is not a number", field="amount") from None
        if not amount.is_finite():
            raise InvalidInput("amount must be finite", field="amount")
        if amount != amount.quantize(CENT):
            raise InvalidInput("amount has more than two decimal places", field="amount")
        object.__setattr__(self, "amount", amount.quantize(CENT))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot combine {self.currency} with {other.currency}",
                               field="currency")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __mul__(self, factor: int) -> Money:
        return Money(amount=self.amount * factor, currency=self.currency)

    def __composite_values__(self) -> tuple[Decimal, str]:
        return self.amount, self.currency

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
