"""One contract for every online store: the embedded SQLite store and Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from features.online import (
    Delete,
    IncrFields,
    IncrScores,
    OnlineStore,
    PushRecent,
    SetFields,
    WriteBatch,
    open_store,
)


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[OnlineStore]:
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'online.db'}")
    else:
        s = open_store(request.getfixturevalue("redis_url"))
    yield s
    await s.close()


def _key(name: str) -> str:
    return f"test:{uuid.uuid4().hex}:{name}"


def _batch(*writes) -> WriteBatch:
    b = WriteBatch()
    for w in writes:
        b.add(w)
    return b


async def test_scores_add_up_and_rank(store: OnlineStore) -> None:
    key = _key("z")
    await store.apply(_batch(IncrScores(key=key, deltas={"a": 1.0, "b": 3.0})))
    await store.apply(_batch(IncrScores(key=key, deltas={"a": 4.0, "c": 0.5})))
    assert await store.top(key, 2) == [("a", 5.0), ("b", 3.0)]
    assert await store.score(key, "c") == 0.5
    assert await store.score(key, "nope") is None
    assert await store.top(_key("empty"), 5) == []


async def test_top_union_weights_and_sums(store: OnlineStore) -> None:
    k1, k2 = _key("a"), _key("b")
    await store.apply(_batch(IncrScores(key=k1, deltas={"x": 2.0, "y": 1.0}),
                             IncrScores(key=k2, deltas={"y": 4.0})))
    assert await store.top_union([k1, k2], 5) == [("y", 5.0), ("x", 2.0)]
    assert await store.top_union([k1, k2], 5, [1.0, 0.25]) == [("x", 2.0), ("y", 2.0)]
    assert await store.top_union([k1, _key("missing")], 1) == [("x", 2.0)]


async def test_fields_increment_and_overwrite(store: OnlineStore) -> None:
    key = _key("h")
    await store.apply(_batch(IncrFields(key=key, deltas={"orders": 1, "gmv": 10.5}),
                             IncrFields(key=key, deltas={"orders": 2}),
                             SetFields(key=key, values={"name": "mug"})))
    fields = await store.get_fields(key)
    assert fields == {"orders": "3", "gmv": "10.5", "name": "mug"}
    assert await store.get_fields(_key("none")) == {}


async def test_recent_keeps_newest_first_capped(store: OnlineStore) -> None:
    key = _key("l")
    await store.apply(_batch(PushRecent(key=key, values=["a", "b", "c"], max_len=4)))
    await store.apply(_batch(PushRecent(key=key, values=["d", "e"], max_len=4)))
    assert await store.recent(key, 10) == ["e", "d", "c", "b"]
    assert await store.recent(key, 2) == ["e", "d"]


async def test_ttl_expires_keys(store: OnlineStore) -> None:
    key = _key("t")
    await store.apply(_batch(IncrScores(key=key, deltas={"a": 1.0}, ttl_s=0.2)))
    assert await store.top(key, 1) == [("a", 1.0)]
    await asyncio.sleep(0.4)
    assert await store.top(key, 1) == []
    await store.apply(_batch(IncrScores(key=key, deltas={"a": 1.0})))
    assert await store.top(key, 1) == [("a", 1.0)]  # an expired key starts afresh


async def test_delete_and_ping(store: OnlineStore) -> None:
    key = _key("d")
    await store.apply(_batch(SetFields(key=key, values={"a": 1}), Delete(key=key)))
    assert await store.get_fields(key) == {}
    await store.ping()
