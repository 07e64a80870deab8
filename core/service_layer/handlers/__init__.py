"""Handlers: plain functions `(command, uow, **dependencies) -> view`, one module per context."""
