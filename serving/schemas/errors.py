"""The body of every error the API answers: `{"detail": ...}`, a sentence or a list naming the
fields at fault (FastAPI's own 422 shape, which the core's domain errors keep)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="Where: e.g. [\"body\", \"lines\", 0, \"quantity\"].")
    msg: str
    type: str


class Error(BaseModel):
    detail: str | list[ErrorItem]
