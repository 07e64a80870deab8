"""Every key builder in features/ is a documented family with a TTL or a cap."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

import features
from tests.unit.features.families import families

STORE_INTERNAL = {"once:<event_id>", "claim:<token>",  # made by the stores, not a builder
                  "once@{<slot>}:<token>"}


def builders() -> dict[str, Callable[..., str]]:
    out: dict[str, Callable[..., str]] = {}
    for info in pkgutil.iter_modules(features.__path__):
        if info.ispkg:
            continue
        module = importlib.import_module(f"features.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isfunction(obj) and obj.__module__ == module.__name__ and (
                    name.endswith(("_key", "_claim"))):
                out[f"{info.name}.{name}"] = obj
            elif name.endswith("_KEY") and isinstance(obj, str):
                out[f"{info.name}.{name}"] = lambda value=obj: value
    return out


def documented(builder: Callable[..., str], name: str) -> str:
    """The builder's key with each parameter spelled `<name>`, as the table writes it."""
    params = inspect.signature(builder).parameters
    key = builder(**{p: f"<{p}>" for p in params if p != "value"})
    return "once:" + key if name.endswith("_claim") else key


def test_every_builder_is_in_the_table() -> None:
    table = {f.pattern for f in families()}
    found = {name: documented(b, name) for name, b in builders().items()}
    assert len(found) >= 30
    missing = {name: key for name, key in found.items() if key not in table}
    assert not missing, f"builders missing from docs/stream.md: {missing}"
    assert table - set(found.values()) == STORE_INTERNAL  # nothing stale in the table


def test_every_family_has_a_ttl_or_a_cap() -> None:
    for family in families():
        assert family.has_ttl or family.lifetime.startswith("cap"), family


def test_families_never_overlap() -> None:
    table = families()
    for f in table:
        sample = f.pattern.replace("<", "").replace(">", "")
        assert [g.pattern for g in table if g.regex.match(sample)] == [f.pattern]
