"""What is degraded in the serving path, for `/readyz` (beyond the store and broker checks)."""

from __future__ import annotations

from serving.publisher import EventPublisher
from serving.registry import CHALLENGER, CHAMPION, ModelRegistry


def degraded_parts(registry: ModelRegistry, publisher: EventPublisher) -> list[str]:
    out = []
    current = registry.current
    if current.champion is None:
        out.append(f"model: no champion in service ({registry.status.get(CHAMPION)}); "
                   "serving popular items")
    elif registry.status.get(CHAMPION) != "ok":
        out.append(f"model: champion {current.champion.label} kept "
                   f"({registry.status.get(CHAMPION)})")
    challenger = registry.status.get(CHALLENGER, "missing")
    if challenger not in ("ok", "missing"):
        out.append(f"model: challenger {challenger}")
    if not publisher.available:
        out.append(f"producer: not connected ({publisher.last_error}); events answer 503")
    return out
