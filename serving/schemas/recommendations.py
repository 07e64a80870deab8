"""Response and request bodies of the recommendation endpoints."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts import Domain
from contracts.envelope import ID_PATTERN, MAX_ID_LENGTH
from contracts.items import KIND_DOMAIN
from serving.recommend.fallback import Fallback
from serving.recommend.model_registry import Alias
from serving.recommend.paging import MAX_CURSOR_CHARS
from serving.recommend.service import Reason, Strategy

# Ids as the event contracts hold them (printable, at most 128 characters): they go into the
# `recommendation_served` event of each answer.
ITEM_PATTERN = r"^[a-z]+:[^\s\x00-\x1f\x7f]+$"
ItemId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ITEM_PATTERN,
                              examples=["product:85123A"])]
UserId = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH,
                              pattern=r"^[^\s/\x00-\x1f\x7f]+$")]
Surface = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$",
                               description="Where the list is shown, e.g. home or pdp.")]
Category = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
Excluded = Annotated[str, Field(min_length=1, max_length=MAX_ID_LENGTH)]

MAX_K = 100


class Kind(StrEnum):
    """What a list may be restricted to: the `<kind>` of `<kind>:<id>` item ids."""

    product = "product"
    post = "post"
    episode = "episode"
    show = "show"
    community = "community"


KindParam = Annotated[Kind | None, Field(
    description="Only items of this kind (product, post, episode, show, community).")]


def kind_in_domain(kind: Kind | None, domain: Domain | None) -> Kind | None:
    """A kind with a domain must belong to it (`post` is community's, not commerce's)."""
    if kind is not None and domain is not None and KIND_DOMAIN[kind.value] != domain:
        raise ValueError(f"{kind.value} items are not in the {domain.value} domain")
    return kind
MAX_CANDIDATES = 500
MAX_EXCLUDE = 500


class RecommendationParams(BaseModel):
    """What GET /v1/users/{user_id}/recommendations takes (user_id from the path)."""

    user_id: UserId
    k: Annotated[int, Field(ge=1, le=MAX_K, description=f"1 to {MAX_K}")] = 10
    domain: Annotated[Domain | None, Field(description="commerce, community or podcast")] = None
    category: Category | None = None
    exclude: Annotated[frozenset[Excluded], Field(max_length=MAX_EXCLUDE,
        description="Item ids to leave out (repeat or comma-separate).")] = frozenset()
    in_stock: Annotated[bool, Field(description="Only products with stock on hand.")] = False
    include_consumed: Annotated[bool, Field(
        description="Allow items the user already bought or consumed.")] = False
    surface: Surface = "home"
    kind: KindParam = None
    explain: Annotated[bool, Field(
        description="Add `because` to each item: the history items behind its score, or "
                    "why it is there (trending, popular).")] = False
    cursor: Annotated[str | None, Field(
        min_length=1, max_length=MAX_CURSOR_CHARS,
        description="`next_cursor` of the previous page: the next page, without any item "
                    "of the earlier ones.")] = None
    diversity: Annotated[float, Field(
        ge=0.0, le=1.0, description="0 (the model's order) to 1: maximal marginal relevance "
                                    "over the model's item similarity.")] = 0.0

    @field_validator("kind")
    @classmethod
    def _kind_in_domain(cls, kind: Kind | None, info: ValidationInfo) -> Kind | None:
        return kind_in_domain(kind, info.data.get("domain"))

    @field_validator("exclude", mode="before")
    @classmethod
    def _split(cls, values: object) -> object:
        """`exclude` may repeat and/or hold comma-separated item ids."""
        if not isinstance(values, list):
            return values
        items = frozenset(i.strip() for v in values if isinstance(v, str)
                          for i in v.split(",") if i.strip())
        if len(items) > MAX_EXCLUDE:
            raise ValueError(f"at most {MAX_EXCLUDE} items")
        return items


class Because(BaseModel):
    reason: Reason = Field(description="history (these items of the user's history made its "
                           "score), trending, popular, popular_in_category or similar")
    items: list[str] = Field(default_factory=list)


class ScoredItem(BaseModel):
    item_id: str
    score: float
    because: Because | None = Field(default=None, description="With `explain=true` only.")


class ModelRef(BaseModel):
    name: str | None = Field(description="Registered model name; null when none is in service.")
    version: str | None


class Recommendations(BaseModel):
    """Every list the API serves says which model, version and variant produced it."""

    request_id: str
    user_id: str | None = None
    item_id: str | None = None
    model: ModelRef
    variant: Alias = Field(description="The alias whose model served the list (A/B).")
    strategy: Strategy = Field(description="personalised, cold_start, similar, content (by the "
                                           "words of an item no model has seen), popular or "
                                           "given_order")
    fallback: list[Fallback] = Field(
        description="Why a degraded path served this (empty if none).")
    items: list[ScoredItem]
    rules: list[str] = Field(default_factory=list, description="The merchandising rules "
                             "(their ids, /v1/rules) that changed this list.")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page (personalised lists; "
                                  "null when there is none).")
    ranking_changed: bool = Field(
        default=False, description="The model or the user's history changed since the "
                                   "cursor's page: this page comes from the new ranking, "
                                   "still without the earlier pages' items.")


class RankRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    candidates: Annotated[list[ItemId], Field(min_length=1, max_length=MAX_CANDIDATES)]
    surface: Surface = "rank"
    kind: Annotated[Kind | None, Field(
        description="Only the candidates of this kind (product, post, episode, show, "
                    "community) are ranked and answered; the others are left out.")] = None
