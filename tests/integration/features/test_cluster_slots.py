"""The store on a Redis Cluster: every script call on one slot, guards split by slot, and a
batch cut short between slots (a worker killed mid-apply) completed exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.keys import tag
from features.online import IncrFields, Once, SetFields, SetScores, Take, WriteBatch
from features.online.redis_cluster_store import RedisClusterStore
from features.online.redis_slots import plan, slot_of, take_parts
from features.online.store import Effect
from tests.integration.features.conftest import flush_prefix

PREFIX = "agora:"
ids = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
              max_size=12)


@st.composite
def effects(draw: st.DrawFn) -> Effect:
    key = draw(st.sampled_from(["stats:total", "stats:m:1", "inv:" + tag(draw(ids)),
                                "inv:sold:" + tag(draw(ids)) + ":3"]))
    return IncrFields(key=key, deltas={"n": 1})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(effects(), st.builds(
    lambda token, writes: Once(token=token, writes=writes, ttl_s=60), ids,
    st.lists(effects(), max_size=5))), max_size=30))
def test_every_call_is_on_one_slot_and_no_write_is_lost(writes: list[object]) -> None:
    calls = plan(writes, prefix=PREFIX, max_ops=7)  # type: ignore[arg-type]
    for call in calls:
        assert {slot_of(k) for k in call.keys} == {call.slot}
    inner = sum(len(op[3]) if op[0] == "once" else 1 for c in calls for op in c.ops)
    assert inner == sum(len(w.writes) if isinstance(w, Once) else 1 for w in writes)


def test_a_claim_and_its_entity_stay_one_call_with_the_documented_token() -> None:
    pid = tag("P1")
    claim = Once(token=f"lowstock:{pid}:0", ttl_s=60, writes=[
        SetFields(key=f"inv:{pid}", values={"low": "1"}),
        SetFields(key=f"outbox:lowstock:{pid}", values={"m": "x"})])
    [call] = plan([claim], prefix=PREFIX, max_ops=100)
    assert call.keys[0] == f"agora:once:lowstock:{pid}:0"


@pytest.fixture
async def cluster(redis_cluster_url: str) -> AsyncIterator[RedisClusterStore]:
    import uuid

    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    store = RedisClusterStore(url=redis_cluster_url, prefix=prefix)
    yield store
    await store.close()
    await flush_prefix(redis_cluster_url, prefix)


async def test_an_event_cut_short_between_slots_is_completed_once(
        cluster: RedisClusterStore) -> None:
    event = Once(token="ev-1", ttl_s=60, writes=[
        IncrFields(key="stats:total", deltas={"orders": 1}),
        IncrFields(key="stats:m:1", deltas={"orders": 1}),
        IncrFields(key="inv:" + tag("P1"), deltas={"on_hand": -2})])
    calls = plan([event], prefix=cluster._prefix, max_ops=100)
    assert len(calls) == 3
    await cluster._send(calls[:1])  # the worker dies after the first slot
    await cluster.apply(WriteBatch([event]))  # redelivered
    await cluster.apply(WriteBatch([event]))
    rows = await cluster.get_many(["stats:total", "stats:m:1", "inv:" + tag("P1")])
    assert rows == [{"orders": "1"}, {"orders": "1"}, {"on_hand": "-2"}]


async def test_a_settle_cut_short_after_the_other_slots_is_completed_once(
        cluster: RedisClusterStore) -> None:
    outbox = "outbox:lowstock:" + tag("P1")
    take = Take(key=outbox, field="0:0", writes=[
        SetScores(key="alerts:lowstock", scores={"P1": 5.0}),
        IncrFields(key="stats:total", deltas={"alerts": 1}),
        IncrFields(key="inv:" + tag("P1"), deltas={"settled": 1})])
    await cluster.apply(WriteBatch([SetFields(key=outbox, values={"0:0": "msg"})]))
    foreign, _ = take_parts(cluster._prefix, take)
    await cluster._send(plan([foreign], prefix=cluster._prefix, max_ops=100))  # then killed
    await cluster.apply(WriteBatch([take, take]))  # the message resent, settled again
    await cluster.apply(WriteBatch([take]))
    assert await cluster.get_fields("stats:total") == {"alerts": "1"}
    assert await cluster.get_fields("inv:" + tag("P1")) == {"settled": "1"}
    assert await cluster.top("alerts:lowstock", 5) == [("P1", 5.0)]
    assert await cluster.get_fields(outbox) == {}
