"""LiveRules when the catalogue does not answer in time: what it could not describe is
unknown, and attribute filters fail closed on it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from models.filters import Scored
from serving.recommend.live_rules import LiveRules
from serving.recommend.rules import UNKNOWN

RULES = {"revision": 1, "rules": [
    {"rule_id": "no-toys", "action": "filter", "active": True, "match": {"categories": ["toys"]}},
    {"rule_id": "pin-p9", "action": "pin", "active": True, "item_id": "product:p9",
     "position": 1},
]}


async def _revision() -> int:
    return 1


async def _load() -> Mapping[str, Any]:
    return RULES


def _rules(describe_s: float) -> LiveRules:
    async def describe(ids: list[str]) -> dict[str, dict[str, Any]]:
        await asyncio.sleep(describe_s)
        return {i: {"category": "toys" if i.endswith("1") else "home"} for i in ids}

    rules = LiveRules(revision=_revision, load=_load, describe=describe)
    rules.attribute_timeout_s = 0.05
    return rules


def test_items_the_catalogue_cannot_describe_in_time_are_dropped_not_let_through() -> None:
    async def run() -> tuple[list[str], list[str], list[str]]:
        rules = _rules(describe_s=0.5)
        await rules.refresh()
        cands = [Scored(f"product:p{n}", 10.0 - n) for n in range(5)] + [Scored("show:s1", 1.0)]
        slow, _ = await rules.apply(cands, 4)
        await asyncio.sleep(0.6)  # the shielded read finished and filled the cache
        warm, applied = await rules.apply(cands, 4)
        return [s.item_id for s in slow], [s.item_id for s in warm], applied

    slow, warm, applied = asyncio.run(run())
    # undescribed products fail the category filter and the pin is not admitted unchecked;
    # a show is never described, so it is known to have no category and passes; once read,
    # the pinned item (described though not a candidate) is checked like the others
    assert slow == ["show:s1"]
    assert warm == ["product:p9", "product:p0", "product:p2", "product:p3"]
    assert applied == ["no-toys", "pin-p9"]


def test_unknown_only_when_the_read_did_not_answer() -> None:
    async def run() -> dict[str, Any]:
        rules = _rules(describe_s=0.0)
        return await rules.attributes(["product:p1", "community:c1"])

    got = asyncio.run(run())
    assert got["product:p1"].category == "toys" and got["product:p1"] is not UNKNOWN
    assert "community:c1" not in got  # never described: matched by its kind
