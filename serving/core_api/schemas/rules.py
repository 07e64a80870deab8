"""Request and response bodies of /v1/rules: merchandising rules, one body per action.

Every field is bounded, and an unknown one refused (`extra="forbid"`): a misspelt attribute in
`match` is a 422 naming it, never a rule that selects everything.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from contracts.envelope import MAX_AMOUNT
from core.domain.rules import FilterMode, RuleAction
from core.service_layer import commands
from serving.core_api.schemas.fields import Answer, Body, Category, Id
from serving.schemas.recommendations import MAX_K, ItemId

Kind = Literal["product", "post", "episode", "show", "community"]
MAX_VALUES = 100  # categories, sellers or items one rule names
MAX_ITEMS = 500
MAX_AGE_S = 10 * 365 * 86_400
Price = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Age = Annotated[int, Field(ge=1, le=MAX_AGE_S, description="Seconds since publication.")]
Name = Annotated[str, Field(max_length=200, pattern=r"^[^\x00]*$")]


class MatchIn(Body):
    """What a rule selects: every condition given must hold; a list matches any of its values.
    Attributes by kind: docs/serving.md, "Merchandising rules"."""

    kinds: Annotated[tuple[Kind, ...], Field(max_length=5)] = ()
    categories: Annotated[tuple[Category, ...], Field(max_length=MAX_VALUES)] = ()
    sellers: Annotated[tuple[Id, ...], Field(max_length=MAX_VALUES)] = ()
    item_ids: Annotated[tuple[ItemId, ...], Field(max_length=MAX_ITEMS)] = ()
    price_min: Price | None = None
    price_max: Price | None = None
    max_age_s: Age | None = Field(default=None, description="Published at most this long ago.")
    min_age_s: Age | None = Field(default=None, description="Published at least this long ago.")

    @field_validator("price_max", "min_age_s")
    @classmethod
    def _range(cls, value: float | None, info: ValidationInfo) -> float | None:
        """price_min ≤ price_max and min_age_s ≤ max_age_s; the second field is named."""
        other = {"price_max": "price_min", "min_age_s": "max_age_s"}[str(info.field_name)]
        bound = info.data.get(other)
        if value is not None and bound is not None and (
                bound > value if other == "price_min" else value > bound):
            raise ValueError(f"{info.field_name} is out of range of {other}")
        return value

    def pairs(self) -> tuple[tuple[str, object], ...]:
        return tuple((k, list(v) if isinstance(v, tuple) else v)
                     for k, v in self.model_dump(exclude_defaults=True).items())


class RuleBase(Body):
    name: Name = ""
    active: bool = True


class Selecting(RuleBase):
    # the examples of the published schema must select something (schemathesis sends them)
    match: Annotated[MatchIn, Field(examples=[{"kinds": ["product"]}])]

    @field_validator("match")
    @classmethod
    def _selects(cls, value: MatchIn) -> MatchIn:
        if not value.pairs():
            raise ValueError("match names at least one attribute")
        return value


class BoostIn(Selecting):
    action: Literal["boost"]
    weight: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False,
                                   description="1 moves a matched item across the whole list.")]


class BuryIn(Selecting):
    action: Literal["bury"]
    weight: Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]


class FilterIn(Selecting):
    action: Literal["filter"]
    mode: FilterMode = Field(default=FilterMode.exclude,
                             description="exclude: drop what matches; include: keep only it.")


class PinIn(RuleBase):
    action: Literal["pin"]
    item_id: ItemId
    position: Annotated[int, Field(ge=1, le=MAX_K, description=f"1 to {MAX_K}")]


class PromoteIn(Selecting):
    action: Literal["promote"]
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False,
                                  description="The share of a list's slots, above 0 to 1.")]


RuleIn = Annotated[BoostIn | BuryIn | FilterIn | PinIn | PromoteIn,
                   Field(discriminator="action")]


def to_command(body: BoostIn | BuryIn | FilterIn | PinIn | PromoteIn) -> commands.CreateRule:
    match = body.match.pairs() if isinstance(body, Selecting) else ()
    return commands.CreateRule(
        action=RuleAction(body.action), name=body.name, active=body.active, match=match,
        weight=getattr(body, "weight", None), mode=getattr(body, "mode", None),
        item_id=getattr(body, "item_id", None), position=getattr(body, "position", None),
        share=getattr(body, "share", None))


class RuleActiveIn(Body):
    active: bool


class RuleOut(Answer):
    rule_id: str
    action: RuleAction
    name: str
    match: dict[str, list[str] | float | int]
    weight: float | None
    mode: FilterMode | None
    item_id: str | None
    position: int | None
    share: float | None
    active: bool
    revision: int = Field(description="The rule set's revision after this change.")


class RuleSetOut(Answer):
    revision: int = Field(description="Raised by every change; replicas follow it within "
                                      "seconds.")
    rules: list[RuleOut]


class RuleDeleted(Answer):
    rule_id: str
    revision: int
