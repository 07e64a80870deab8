"""What a caller may ask to keep out of (or restrict) a recommendation list."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contracts.items import KIND_DOMAIN


@dataclass(frozen=True, kw_only=True)
class Filters:
    """Restrictions applied after scoring, before the top-k cut."""

    exclude: frozenset[str] = frozenset()
    domain: str | None = None
    category: str | None = None
    allowed: frozenset[str] | None = None  # e.g. the items in stock
    exclude_seen: bool = True

    def mask(self, item_ids: np.ndarray, categories: dict[str, str]) -> np.ndarray:
        """Boolean vector over `item_ids`: True where an item may be recommended."""
        keep = np.ones(len(item_ids), dtype=bool)
        if self.domain is not None:
            kinds = np.asarray([str(i).partition(":")[0] for i in item_ids], dtype=object)
            domains = np.asarray([KIND_DOMAIN.get(k) for k in kinds], dtype=object)
            keep &= domains == self.domain
        if self.category is not None:
            keep &= np.asarray([categories.get(str(i)) == self.category for i in item_ids])
        if self.allowed is not None:
            keep &= np.isin(item_ids, list(self.allowed))
        if self.exclude:
            keep &= ~np.isin(item_ids, list(self.exclude))
        return keep


@dataclass(frozen=True)
class Scored:
    """One recommended item and its model score (higher is better)."""

    item_id: str
    score: float


NO_FILTERS = Filters()
