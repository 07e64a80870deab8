"""The domain: aggregates, entities, value objects and domain events, in plain Python.

Imports only the standard library; persistence and transport live in `core.adapters`.
"""
