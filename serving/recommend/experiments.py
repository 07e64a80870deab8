"""Which variant serves a user: the challenger takes a stable share of users.

The share is decided by a hash of the user id (not a random draw), so a user keeps their
variant across requests and processes, and raising the share only moves users one way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from serving.recommend.model_registry import CHALLENGER, CHAMPION, Alias, Served
from serving.recommend.served import ServedModel

_BUCKETS = 10_000


def bucket(user_id: str, salt: str = "agora-ab") -> float:
    """A stable number in [0, 1) for a user."""
    digest = hashlib.blake2b(f"{salt}:{user_id}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % _BUCKETS) / _BUCKETS


@dataclass(frozen=True, slots=True)
class Assignment:
    variant: Alias
    model: ServedModel | None


def assign(user_id: str, served: Served, challenger_share: float) -> Assignment:
    """The challenger when it is loaded and the user falls in its share, else the champion."""
    if served.challenger is not None and challenger_share > 0 \
            and bucket(user_id) < challenger_share:
        return Assignment(CHALLENGER, served.challenger)
    return Assignment(CHAMPION, served.champion)
