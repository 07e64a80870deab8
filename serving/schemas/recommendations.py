"""Response and request bodies of the recommendation endpoints."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ItemId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[a-z]+:[^\s]+$",
                              examples=["product:85123A"])]
UserId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s/]+$")]

MAX_K = 100
MAX_CANDIDATES = 500


class ScoredItem(BaseModel):
    item_id: str
    score: float


class ModelRef(BaseModel):
    name: str | None = Field(description="Registered model name; null when none is in service.")
    version: str | None


class Recommendations(BaseModel):
    """Every list the API serves says which model, version and variant produced it."""

    request_id: str
    user_id: str | None = None
    item_id: str | None = None
    model: ModelRef
    variant: str = Field(description="champion or challenger")
    strategy: str = Field(description="personalised, cold_start, similar, popular or given_order")
    fallback: list[str] = Field(description="Why a degraded path served this (empty if none).")
    items: list[ScoredItem]


class RankRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: UserId
    candidates: Annotated[list[ItemId], Field(min_length=1, max_length=MAX_CANDIDATES)]
    surface: Annotated[str, Field(min_length=1, max_length=64)] = "rank"
