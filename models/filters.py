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
    kind: str | None = None  # the `<kind>` of `<kind>:<id>`: product, post, community, ...
    category: str | None = None
    allowed: frozenset[str] | None = None  # e.g. the items in stock
    exclude_seen: bool = True

    def mask(self, item_ids: np.ndarray, categories: dict[str, str], *,
             facets: ItemFacets | None = None) -> np.ndarray:
        """Boolean vector over `item_ids`: True where an item may be recommended."""
        facets = facets or ItemFacets.of(item_ids, categories)
        keep = np.ones(len(item_ids), dtype=bool)
        if self.domain is not None:
            keep &= facets.domains == self.domain
        if self.kind is not None:
            keep &= facets.kinds == self.kind
        if self.category is not None:
            keep &= facets.categories == self.category
        if self.allowed is not None:
            allowed = np.zeros(len(item_ids), dtype=bool)
            allowed[facets.positions(self.allowed)] = True
            keep &= allowed
        if self.exclude:
            keep[facets.positions(self.exclude)] = False
        return keep


@dataclass(frozen=True)
class ItemFacets:
    """Per-item domain and category, computed once per model so filtering stays vectorised."""

    domains: np.ndarray
    kinds: np.ndarray
    categories: np.ndarray
    index: dict[str, int]

    @classmethod
    def of(cls, item_ids: np.ndarray, categories: dict[str, str]) -> ItemFacets:
        ids = [str(i) for i in item_ids]
        kinds = [i.partition(":")[0] for i in ids]
        domains = [KIND_DOMAIN.get(k) for k in kinds]
        return cls(domains=np.asarray([str(d) if d else "" for d in domains], dtype=object),
                   kinds=np.asarray(kinds, dtype=object),
                   categories=np.asarray([categories.get(i, "") for i in ids], dtype=object),
                   index={i: n for n, i in enumerate(ids)})

    def positions(self, items: frozenset[str]) -> np.ndarray:
        return np.asarray([self.index[i] for i in items if i in self.index], dtype=np.int64)


@dataclass(frozen=True)
class Scored:
    """One recommended item and its model score (higher is better)."""

    item_id: str
    score: float


NO_FILTERS = Filters()
