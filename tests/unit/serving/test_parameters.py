"""`serving.edge.parameters`: one validation for a route's path and query parameters."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, model_validator
from starlette.requests import Request

from serving.edge.parameters import Parameters


class Window(BaseModel):
    shop: Annotated[str, Field(min_length=2)]
    start: int = 0
    end: int = 10
    tags: list[str] = []

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


PARAMS = Parameters(Window, path=("shop",))


def request(shop: str, query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": f"/{shop}", "headers": [],
                    "query_string": query.encode(), "path_params": {"shop": shop}})


def test_reads_path_query_and_repeated_values() -> None:
    got = PARAMS.parse(request("s1", "start=2&tags=a&tags=b&unknown=x"))
    assert got == Window(shop="s1", start=2, end=10, tags=["a", "b"])


def test_errors_name_where_and_which() -> None:
    with pytest.raises(RequestValidationError) as bad:
        PARAMS.parse(request("s", "start=x"))
    assert sorted(tuple(e["loc"]) for e in bad.value.errors()) == [("path", "shop"),
                                                                  ("query", "start")]
    with pytest.raises(RequestValidationError) as crossed:  # a model-wide error has no field
        PARAMS.parse(request("s1", "start=5&end=1"))
    assert [tuple(e["loc"]) for e in crossed.value.errors()] == [("query",)]


def test_openapi_declares_each_parameter() -> None:
    declared = {p["name"]: (p["in"], p["required"]) for p in PARAMS.openapi()["parameters"]}
    assert declared == {"shop": ("path", True), "start": ("query", False),
                        "end": ("query", False), "tags": ("query", False)}
