"""Loading what a handler needs, or failing with the field that named it."""

from __future__ import annotations

from typing import Any, TypeVar

from core.domain.errors import DomainError, NotFound
from core.service_layer.unit_of_work import Repository

T = TypeVar("T")


def require(repo: Repository[T], key: Any, *, what: str, field: str,
            for_update: bool = False, error: type[DomainError] = NotFound) -> T:
    found = repo.get(key, for_update=for_update)
    if found is None:
        raise error(f"unknown {what} {key!r}", field=field)
    return found


def prefixed(exc: DomainError, prefix: str) -> DomainError:
    """The same error, its field placed under `prefix` (an item of a bulk request)."""
    exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
    return exc
