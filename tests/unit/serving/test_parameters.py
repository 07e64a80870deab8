"""`serving.edge.parameters`: one validation for a route's path and query parameters."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import pytest
from fastapi.exceptions import RequestValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, model_validator
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


def _as_starlette_reads(shop: str, query: str) -> Window | list[object]:
    """The reading `parse` replaced: every declared field asked of `request.query_params`
    (`getlist` for lists, `get` for the rest: its last occurrence)."""
    params = request(shop, query).query_params
    raw: dict[str, object] = {"shop": shop}
    for name in ("start", "end"):
        if (value := params.get(name)) is not None:
            raw[name] = value
    if tags := params.getlist("tags"):
        raw["tags"] = tags
    try:
        return Window.model_validate(raw)
    except ValidationError as exc:
        return [e["loc"] for e in exc.errors(include_url=False)]


_names = st.sampled_from(["start", "end", "tags", "shop", "unknown", "st%61rt", ""])
_values = st.one_of(st.integers(-5, 20).map(str), st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_names, _values), max_size=8),
       st.booleans(), st.text(min_size=1, max_size=4))
def test_reads_what_query_params_reads(pairs: list[tuple[str, str]], encode: bool,
                                       shop: str) -> None:
    # hostile query strings (repeats, blanks, escapes, a path name in the query) are read
    # exactly as Starlette's query_params read them, and never crash
    query = (urlencode(pairs) if encode
             else "&".join(f"{n}={v}" for n, v in pairs))
    expected = _as_starlette_reads(shop, query)
    try:
        got: Window | list[object] = PARAMS.parse(request(shop, query))
    except RequestValidationError as exc:
        got = [tuple(e["loc"][1:]) for e in exc.errors()]
    assert got == expected
