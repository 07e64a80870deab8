"""A write batch for a Redis Cluster: split by hash slot, one keyed script call per slot.

Redis Cluster runs a script only on keys it declares, all in one slot. So each write goes to
the call of its key's slot (the order of a slot's writes is kept; writes on different slots
commute). A guard whose writes span slots is split:

- a `Once` becomes one `Once` per slot of its writes, each with a token of its own in that
  slot (`once@{<slot tag>}:<token>`): every slot applies the event's writes exactly once,
  atomically with its token there, and a redelivery completes what a crash left undone;
- a `Take` is a stage of its own: its field is checked first, then (only if it was there)
  its writes on other slots as a `Once` of the record (`take|<key>|<field>`, escaped), then
  the `Take` with the writes on its own slot. A crash between the two leaves the record, so
  the retry takes it with the other slots' writes deduplicated by their tokens.

A guard whose writes share its slot (a claim and the entity's effects: one hash tag, by
`features.keys`) stays one call, atomic as on a single Redis.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from features.keys import field as record_id
from features.online.redis_script import encode
from features.online.store import Effect, Once, Take, Write

# How long the per-slot tokens of a split `Take` dedupe its writes: far beyond any redelivery.
TAKE_TOKEN_TTL_S = 7 * 86400.0


def slot_of(key: str) -> int:
    return int(key_slot(key.encode()))


@functools.cache
def slot_tags() -> tuple[str, ...]:
    """For each slot, the shortest hex string that hashes to it (about 0.1 s, once)."""
    tags: list[str] = [""] * REDIS_CLUSTER_HASH_SLOTS
    left, i = REDIS_CLUSTER_HASH_SLOTS, 0
    while left:
        tag = format(i, "x")
        slot = key_slot(tag.encode())
        if not tags[slot]:
            tags[slot] = tag
            left -= 1
        i += 1
    return tuple(tags)


@dataclass(slots=True)
class SlotCall:
    """One keyed script call: KEYS and the ops that name them by (1-based) index."""

    slot: int
    keys: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    ops: list[list[Any]] = field(default_factory=list)
    size: int = 0

    def ref(self, key: str) -> int:
        found = self.index.get(key)
        if found is None:
            self.keys.append(key)
            found = self.index[key] = len(self.keys)
        return found


@dataclass(slots=True)
class Planner:
    prefix: str
    max_ops: int
    calls: list[SlotCall] = field(default_factory=list)
    _open: dict[int, SlotCall] = field(default_factory=dict)

    def _call(self, slot: int) -> SlotCall:
        call = self._open.get(slot)
        if call is None or call.size >= self.max_ops:
            call = self._open[slot] = SlotCall(slot=slot)
            self.calls.append(call)
        return call

    def _op(self, call: SlotCall, w: Effect) -> list[Any]:
        op = encode(w)
        op[1] = call.ref(self.prefix + w.key)
        call.size += 1 + len(op[3])
        return op

    def plain(self, w: Effect) -> None:
        call = self._call(slot_of(self.prefix + w.key))
        call.ops.append(self._op(call, w))

    def guard(self, slot: int, key: str, w: Once | Take, inner: Sequence[Effect]) -> None:
        call = self._call(slot)
        op = encode(w)
        op[1] = call.ref(key)
        op[3] = [self._op(call, x) for x in inner]
        call.size += 1
        call.ops.append(op)

    def once(self, w: Once) -> None:
        token_key = self.prefix + "once:" + w.token
        home = slot_of(token_key)
        groups = by_slot(self.prefix, w.writes)
        if set(groups) <= {home}:
            self.guard(home, token_key, w, w.writes)
            return
        tags = slot_tags()
        for slot, inner in groups.items():
            self.guard(slot, f"{self.prefix}once@{{{tags[slot]}}}:{w.token}", w, inner)


def by_slot(prefix: str, writes: Sequence[Effect]) -> dict[int, list[Effect]]:
    groups: dict[int, list[Effect]] = {}
    for w in writes:
        groups.setdefault(slot_of(prefix + w.key), []).append(w)
    return groups


def is_split_take(prefix: str, w: Write) -> bool:
    if not isinstance(w, Take):
        return False
    home = slot_of(prefix + w.key)
    return any(slot_of(prefix + x.key) != home for x in w.writes)


def plan(writes: Sequence[Write], *, prefix: str, max_ops: int) -> list[SlotCall]:
    """The calls of writes that hold no split `Take` (see `stages`)."""
    planner = Planner(prefix=prefix, max_ops=max_ops)
    for w in writes:
        op = encode(w)
        if not op[3] and op[0] not in ("del", "take"):
            continue  # nothing to write (as on a single Redis)
        if isinstance(w, Once):
            planner.once(w)
        elif isinstance(w, Take):
            full = prefix + w.key
            planner.guard(slot_of(full), full, w, w.writes)
        else:
            planner.plain(w)
    return planner.calls


def stages(writes: Sequence[Write], prefix: str) -> list[list[Write]]:
    """The batch cut at its split `Take`s: runs of other writes and runs of split takes, to
    be applied one after the other, in order."""
    out: list[list[Write]] = []
    kind: bool | None = None
    for w in writes:
        split = is_split_take(prefix, w)
        if split is not kind:
            out.append([])
            kind = split
        out[-1].append(w)
    return out


def take_parts(prefix: str, take: Take) -> tuple[Once, Take]:
    """A split `Take` as its writes on other slots (a `Once` of the record, split by slot)
    and the `Take` with the writes on its own slot."""
    home = slot_of(prefix + take.key)
    foreign = [x for x in take.writes if slot_of(prefix + x.key) != home]
    local = [x for x in take.writes if slot_of(prefix + x.key) == home]
    token = "take|" + record_id(take.key, take.field)
    return (Once(token=token, writes=foreign, ttl_s=TAKE_TOKEN_TTL_S),
            Take(key=take.key, field=take.field, writes=local))
