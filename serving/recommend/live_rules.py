"""The merchandising rules a replica serves with: held in memory, refreshed when the core's
rule-set revision changes, and the item attributes they match, cached.

Why polling the revision (every `poll_s`, 1 s): the rules live in the core's database, which
every replica already reads; one primary-key read per second per replica costs nothing
measurable, needs no broker or Redis channel to be up (a missed pub/sub message would leave a
replica on stale rules until restart), and a replica that was down catches up on its first
poll. A rule created through any replica is served by all within `poll_s` plus one read.
The rules are read once per change and swapped in one assignment: a request sees one set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from features.published import Published
from models.filters import Scored
from serving.recommend.rules import (
    EMPTY,
    FILTER,
    NO_ATTRIBUTES,
    UNKNOWN,
    ItemAttributes,
    RuleSet,
    apply_rules,
    kind_of,
)

log = logging.getLogger(__name__)

POLL_S = 1.0
ATTRIBUTE_TTL_S = 60.0  # a product's price or category changes rarely; a minute is fresh
ATTRIBUTE_TIMEOUT_S = 0.25
MAX_CACHED = 100_000
# kinds described beyond their kind: products, posts and comments by the core's catalogue
# (reads.item_attributes), posts and episodes by the stream (features.published)
DESCRIBED_KINDS = frozenset({"product", "post", "comment", "episode"})
View = Mapping[str, Any]


class LiveRules:
    def __init__(self, *, revision: Callable[[], Awaitable[int]],
                 load: Callable[[], Awaitable[Mapping[str, Any]]],
                 describe: Callable[[list[str]], Awaitable[Mapping[str, Mapping[str, Any]]]],
                 poll_s: float = POLL_S, clock: Callable[[], float] = time.time) -> None:
        self._revision = revision
        self._load = load
        self._describe = describe
        self._poll_s = poll_s
        self._clock = clock
        self.current: RuleSet = EMPTY
        self._cache: dict[str, tuple[float, ItemAttributes]] = {}
        self._task: asyncio.Task[None] | None = None
        # how long a request waits for attributes the cache lacks (then: `UNKNOWN`)
        self.attribute_timeout_s = ATTRIBUTE_TIMEOUT_S

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="merchandising-rules")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def refresh(self) -> None:
        """Read the revision; on a change, the rules (the current set serves on a failure)."""
        try:
            if await self._revision() != self.current.revision:
                self.current = RuleSet.from_view(await self._load())
                log.info("merchandising rules at revision %d: %d active",
                         self.current.revision, len(self.current.rules))
        except Exception as exc:  # the database down: keep serving the rules held
            log.warning("merchandising rules not refreshed: %s", type(exc).__name__)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            await self.refresh()

    async def apply(self, candidates: Sequence[Scored], k: int, *,
                    admit: Callable[[str], bool] | None = None, rest: bool = False
                    ) -> tuple[list[Scored], list[str]]:
        """`apply_rules` with the rules in service and the attributes they need; `rest`: the
        candidates beyond the first `k` follow them (those no filter drops), for what cuts the
        list afterwards (pages, stock)."""
        rule_set = self.current
        if not rule_set.rules:
            return list(candidates if rest else candidates[:k]), []
        attributes: Mapping[str, ItemAttributes] = {}
        if rule_set.needs_attributes:  # pinned items too: a filter checks them as well
            attributes = await self.attributes(
                [c.item_id for c in candidates] + rule_set.pinned_items)
        now = self._clock()
        if admit is None:
            items, applied = apply_rules(candidates, rule_set, attributes, k, now=now)
        else:
            items, applied = apply_rules(candidates, rule_set, attributes, k, admit=admit,
                                         now=now)
        if rest:
            taken = {s.item_id for s in items}
            filters = rule_set.of(FILTER)
            items += [c for c in candidates if c.item_id not in taken and not any(
                r.drops(c.item_id, attributes.get(c.item_id, NO_ATTRIBUTES), now)
                for r in filters)]
        return items, applied

    async def attributes(self, item_ids: list[str]) -> dict[str, ItemAttributes]:
        """The attributes of the items the catalogue describes, cached `ATTRIBUTE_TTL_S`; an
        item it cannot describe now (timeout, outage) is `UNKNOWN`: attribute filters drop
        it, boosts and promotions pass it by (nothing is pinned or kept unchecked)."""
        now = self._clock()
        out: dict[str, ItemAttributes] = {}
        missing: list[str] = []
        for item_id in item_ids:
            cached = self._cache.get(item_id)
            if cached is not None and cached[0] > now:
                out[item_id] = cached[1]
            elif kind_of(item_id) in DESCRIBED_KINDS:
                missing.append(item_id)
        if not missing:
            return out
        # shielded: a fetch past the timeout still fills the cache for the next request
        fetch = asyncio.ensure_future(self._fetch(missing, now))
        try:
            out.update(await asyncio.wait_for(asyncio.shield(fetch), self.attribute_timeout_s))
        except Exception as exc:
            log.warning("item attributes unavailable: %s", type(exc).__name__)
            out.update(dict.fromkeys(missing, UNKNOWN))
        return out

    async def _fetch(self, item_ids: list[str], now: float) -> dict[str, ItemAttributes]:
        found = await self._describe(item_ids)
        if len(self._cache) > MAX_CACHED:
            self._cache.clear()
        out: dict[str, ItemAttributes] = {}
        for item_id in item_ids:
            view = found.get(item_id)
            out[item_id] = NO_ATTRIBUTES if view is None else ItemAttributes.from_view(view)
            self._cache[item_id] = (now + ATTRIBUTE_TTL_S, out[item_id])
        return out


def described(core: Mapping[str, View] | BaseException,
              stream: Mapping[str, Published] | BaseException) -> dict[str, View]:
    """The core's views, completed by what the stream saw published: a post's community
    where the core lacks the post, the publication time of posts and episodes (the core
    dates products only). Either source may have failed (the other still answers); both
    failing raises the core's error."""
    if isinstance(core, BaseException) and isinstance(stream, BaseException):
        raise core
    for failed in (core, stream):
        if isinstance(failed, BaseException):
            log.warning("item attributes partly unavailable: %s", type(failed).__name__)
    out: dict[str, View] = {} if isinstance(core, BaseException) else dict(core)
    for item_id, seen in ({} if isinstance(stream, BaseException) else stream).items():
        view = dict(out.get(item_id) or {})
        if view.get("category") is None:
            view["category"] = seen.group
        if view.get("published_at") is None:
            view["published_at"] = seen.published_at
        out[item_id] = view
    return out
