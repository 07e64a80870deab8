"""Field types shared by the core's request bodies; limits follow the event contracts."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from core.domain.money import Money

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")]
Title = Annotated[str, Field(min_length=1, max_length=1000)]
Text = Annotated[str, Field(max_length=100_000)]
Tags = Annotated[tuple[Id, ...], Field(max_length=50)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. USD")]
IdempotencyKey = Annotated[str | None, Field(max_length=255)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MoneyIn(Body):
    amount: Annotated[Decimal, Field(ge=0, le=Decimal("1e10"), decimal_places=2,
                                     allow_inf_nan=False)]
    currency: Currency

    def to_money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)
