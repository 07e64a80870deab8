"""The models in service, as the dashboard shows them, read from the API's model registry.

Duck-typed on the registry's snapshot (`registry.current.champion` / `.challenger`, each with
name, version, alias and loaded_at; `registry.status` per alias), so the dashboard does not
depend on how models are loaded.
"""

from __future__ import annotations

from typing import Any

ALIASES = ("champion", "challenger")


def models_in_service(registry: Any) -> list[dict[str, Any]] | None:
    """One row per alias with a model; None when the app has no registry."""
    if registry is None:
        return None
    current = getattr(registry, "current", None)
    status = getattr(registry, "status", {}) or {}
    rows = []
    for alias in ALIASES:
        model = getattr(current, alias, None)
        if model is None:
            if alias == "champion":
                rows.append(
                    {
                        "alias": alias,
                        "name": None,
                        "version": None,
                        "loaded_at": None,
                        "status": str(status.get(alias, "no model")),
                    }
                )
            continue
        rows.append(
            {
                "alias": alias,
                "name": str(getattr(model, "name", "?")),
                "version": str(getattr(model, "version", "?")),
                "loaded_at": getattr(model, "loaded_at", None),
                "status": str(status.get(alias, "ok")),
            }
        )
    return rows
