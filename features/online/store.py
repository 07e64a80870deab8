"""The online feature store: one small async interface, picked by configuration.

The agents write batches of commutative operations (so several workers can share a key),
serving reads them. Primitives mirror what both Redis and SQLite do well: scored sets
(top-k), hashes (feature vectors, counters) and capped recent lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class IncrScores:
    """Add `deltas` to the members' scores of the scored set `key`."""

    key: str
    deltas: Mapping[str, float]
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncrFields:
    """Add `deltas` to numeric fields of the hash `key`."""

    key: str
    deltas: Mapping[str, float]
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetFields:
    """Overwrite fields of the hash `key`."""

    key: str
    values: Mapping[str, str | float]
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PushRecent:
    """Prepend `values` (newest last in the sequence) to the list `key`, keeping `max_len`."""

    key: str
    values: Sequence[str]
    max_len: int
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete:
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SetMissing:
    """Set fields of the hash `key` that are not there yet (first writer wins)."""

    key: str
    values: Mapping[str, str | float]
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AddDistinct:
    """Add members to the distinct-count set `key` (a HyperLogLog on Redis: ±0.81%)."""

    key: str
    members: Sequence[str]
    ttl_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Remove:
    """Remove members from the scored set `key` (a cleared alert, a resolved flag)."""

    key: str
    members: Sequence[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class SetScores:
    """Set members' scores of the scored set `key` (an index: product → time of its alert);
    with `keep`, only the `keep` highest-scored members stay (a capped index)."""

    key: str
    scores: Mapping[str, float]
    keep: int | None = None


Exact = IncrScores | IncrFields | SetFields | SetMissing
# What a `Once` or a `Take` may guard: every write but the guards themselves.
Effect = (IncrScores | IncrFields | SetFields | SetMissing | SetScores | PushRecent | Delete
          | AddDistinct | Remove)


@dataclass(frozen=True, slots=True, kw_only=True)
class Once:
    """Apply `writes` only the first time `token` (an event id, a claim) is seen within `ttl_s`.

    The token and the writes are applied atomically, so a redelivered event changes nothing:
    this is what keeps orders, GMV and inventory exact under at-least-once delivery, and what
    makes a once-only claim (an alert, a flag) commit together with its effects. The token is
    stored at `once:<token>`; a claim token carries its entity's hash tag (`features.keys`),
    so the token and the entity's keys share a Redis Cluster slot.
    """

    token: str
    writes: Sequence[Effect]
    ttl_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Take:
    """Remove `field` from the hash `key` and, only if it was there, apply `writes`, atomically.

    Settles a pending record (a message written with its claim, removed once delivered): a
    second `Take` of the same record changes nothing."""

    key: str
    field: str
    writes: Sequence[Effect] = ()


Write = (IncrScores | IncrFields | SetFields | PushRecent | Delete | SetMissing | AddDistinct
         | Remove | SetScores | Once | Take)


@dataclass(slots=True)
class WriteBatch:
    """Writes applied together, in order, in one round trip."""

    writes: list[Write] = field(default_factory=list)

    def add(self, write: Write) -> None:
        self.writes.append(write)

    def __len__(self) -> int:
        return len(self.writes)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached; callers degrade instead of failing."""


class OnlineStore(Protocol):
    async def apply(self, batch: WriteBatch) -> None: ...

    async def top(self, key: str, k: int) -> list[tuple[str, float]]:
        """Members of a scored set, highest score first."""
        ...

    async def top_union(
        self, keys: Sequence[str], k: int, weights: Sequence[float] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k of the weighted sum of several scored sets (sliding windows over buckets)."""
        ...

    async def score(self, key: str, member: str) -> float | None: ...

    async def get_fields(self, key: str) -> dict[str, str]: ...

    async def recent(self, key: str, n: int) -> list[str]:
        """The newest `n` values of a recent list, newest first."""
        ...

    async def recent_many(self, keys: Sequence[str], n: int) -> list[list[str]]:
        """`recent` of several lists in one round trip, in the order of `keys`."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[dict[str, str]]:
        """The fields of several hashes in one round trip, in the order of `keys`."""
        ...

    async def count_distinct(self, groups: Sequence[Sequence[str]]) -> list[int]:
        """For each group of distinct-count keys, the size of their union."""
        ...

    async def claim(self, token: str, ttl_s: float) -> bool:
        """True for the first caller to claim `token` within `ttl_s`. Not atomic with any
        effect: a claim that guards writes belongs in a `Once` with them (the agents' way)."""
        ...

    async def ping(self) -> None:
        """Raise `StoreUnavailable` if the store cannot serve."""
        ...

    async def close(self) -> None: ...
