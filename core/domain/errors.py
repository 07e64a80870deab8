"""What can go wrong in the domain; the edges translate these into HTTP codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base error; `field` names the offending input (dotted path) when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The request is well formed but breaks a rule (wrong currency, unknown product, ...)."""


class NotFound(DomainError):
    """The addressed entity does not exist."""


class Conflict(DomainError):
    """The request clashes with the current state (already exists, stale version, ...)."""


class OutOfStock(Conflict):
    """Not enough stock to reserve."""


class InvalidTransition(Conflict):
    """The aggregate's state does not allow the requested change."""


class Forbidden(DomainError):
    """The actor lacks the role the change requires."""
