"""Communities recommended as communities (`kind=community`): a user who posts, comments or
votes in a community they have not joined is likely to join it.

The user's posts and comments (their history: the live one, newest first, then the items they
trained on) are mapped to their community through the item attributes merchandising rules
read (serving/recommend/live_rules.py: the core's catalogue and the stream's `post:{<id>}`
hashes); each community's affinity is the number of those items in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from serving.recommend.rules import ItemAttributes, kind_of

COMMUNITY = "community"
PARTICIPATION_KINDS = frozenset({"post", "comment"})
MAX_HISTORY = 200  # history items mapped per request (the newest)


def participation(history: Sequence[str]) -> list[str]:
    """The posts and comments of a history (its order kept), at most `MAX_HISTORY`."""
    return [i for i in dict.fromkeys(history) if kind_of(i) in PARTICIPATION_KINDS][
        :MAX_HISTORY]


def joined(history: Sequence[str]) -> frozenset[str]:
    """The communities a history says the user joined (`community_joined` is its only
    interaction with a community item)."""
    return frozenset(i for i in history if kind_of(i) == COMMUNITY)


def affinity(history: Sequence[str], attributes: Mapping[str, ItemAttributes]
             ) -> dict[str, list[str]]:
    """Each community (`community:<id>`) the history's posts and comments belong to, with
    those items (newest first); the community with the most items first, ties by the newest
    item."""
    by: dict[str, list[str]] = {}
    for item in participation(history):
        found = attributes.get(item)
        if found is not None and found.category:
            by.setdefault(f"{COMMUNITY}:{found.category}", []).append(item)
    return dict(sorted(by.items(), key=lambda kv: -len(kv[1])))  # stable: newest first
