"""Field and parameter types shared by the core's routes, and the base of their answers; limits
follow the event contracts.

Every value a route passes to the core is bounded here, so that what the core writes (rows and
the outbox's events) fits its columns and the contracts (see contracts/envelope.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from contracts.envelope import (
    ID_PATTERN,
    MAX_AMOUNT,
    MAX_ID_LENGTH,
    MAX_LINE_LENGTH,
    MAX_TAGS,
    MAX_TEXT_LENGTH,
)
from core.domain.money import Money

ID_CHARS = r"^[A-Za-z0-9._:@-]+$"
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_CHARS)]
# An id in a path: the same characters as the ids the bodies create.
IdPath = Annotated[str, Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_CHARS)]
# A category: any printable text an event's id may hold.
Category = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
CategoryQuery = Annotated[str | None, Query(min_length=1, max_length=MAX_ID_LENGTH,
                                            pattern=ID_PATTERN)]
MAX_OFFSET = 100_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"0 to {MAX_OFFSET}")]
# Texts hold no NUL (PostgreSQL's text cannot), and required ones something once stripped
# (bodies strip whitespace).
NO_NUL = r"^[^\x00]*$"
PRINTED = r"^[^\x00]*[^\x00\s][^\x00]*$"
Title = Annotated[str, Field(min_length=1, max_length=MAX_LINE_LENGTH, pattern=PRINTED)]
Text = Annotated[str, Field(max_length=MAX_TEXT_LENGTH, pattern=NO_NUL)]
Tags = Annotated[tuple[Id, ...], Field(max_length=MAX_TAGS)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. USD")]
# Stored as `<key id>:<action>:<key>` in a 400-character column.
IdempotencyKey = Annotated[str | None, Field(min_length=1, max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# A decimal number or its text, published with the bounds it is checked against.
AMOUNT_TEXT = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
Amount = Annotated[Decimal, Field(ge=0, le=Decimal(MAX_AMOUNT), decimal_places=2,
                                  allow_inf_nan=False),
                   WithJsonSchema({"anyOf": [
                       {"type": "number", "minimum": 0, "maximum": MAX_AMOUNT, "multipleOf": 0.01},
                       {"type": "string", "pattern": AMOUNT_TEXT, "maxLength": 13}],
                       "description": f"0 to {MAX_AMOUNT}, at most two decimals"})]


class MoneyIn(Body):
    amount: Amount
    currency: Currency

    def to_money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


class Answer(BaseModel):
    """A view the core returns (core/service_layer/views.py): its fields exactly, so a view
    that gains one fails the tests rather than losing it silently."""

    model_config = ConfigDict(extra="forbid")


class MoneyOut(Answer):
    amount: str = Field(description="A decimal number as text, e.g. \"2.55\".")
    currency: str
