"""One contract for every online store: Redis and the embedded SQLite store behave alike."""

from __future__ import annotations

from features.online import (
    AddDistinct,
    Delete,
    IncrFields,
    IncrScores,
    Once,
    OnlineStore,
    PushRecent,
    Remove,
    SetFields,
    SetMissing,
    SetScores,
    Take,
    WriteBatch,
)


def batch(*writes: object) -> WriteBatch:
    b = WriteBatch()
    for w in writes:
        b.add(w)  # type: ignore[arg-type]
    return b


async def test_scores_add_up_and_rank(store: OnlineStore) -> None:
    await store.apply(batch(IncrScores(key="z", deltas={"a": 1.0, "b": 3.0}),
                            IncrScores(key="z", deltas={"a": 4.5})))
    assert await store.top("z", 5) == [("a", 5.5), ("b", 3.0)]
    assert await store.score("z", "b") == 3.0
    assert await store.score("z", "zz") is None


async def test_top_union_weights(store: OnlineStore) -> None:
    await store.apply(batch(IncrScores(key="u1", deltas={"a": 1.0, "b": 2.0}),
                            IncrScores(key="u2", deltas={"a": 4.0})))
    assert await store.top_union(["u1", "u2", "missing"], 5, [1.0, 0.5, 1.0]) == [
        ("a", 3.0), ("b", 2.0)]


async def test_fields_set_incr_and_set_missing(store: OnlineStore) -> None:
    await store.apply(batch(IncrFields(key="h", deltas={"n": 2, "gmv": 1050}),
                            IncrFields(key="h", deltas={"n": 1}),
                            SetFields(key="h", values={"name": "x"}),
                            SetMissing(key="h", values={"name": "y", "first": "1"})))
    assert await store.get_fields("h") == {"n": "3", "gmv": "1050", "name": "x", "first": "1"}
    assert await store.get_many(["h", "nope"]) == [
        {"n": "3", "gmv": "1050", "name": "x", "first": "1"}, {}]


async def test_recent_keeps_newest_first(store: OnlineStore) -> None:
    await store.apply(batch(PushRecent(key="r", values=["1", "2", "3"], max_len=3)))
    await store.apply(batch(PushRecent(key="r", values=["4"], max_len=3)))
    assert await store.recent("r", 10) == ["4", "3", "2"]
    await store.apply(batch(PushRecent(key="s", values=["a", "b"], max_len=3)))
    assert await store.recent_many(["r", "nope", "s"], 2) == [["4", "3"], [], ["b", "a"]]
    assert await store.recent_many([], 2) == []


async def test_once_applies_each_token_once(store: OnlineStore) -> None:
    write = Once(token="ev-1", ttl_s=60, writes=(IncrFields(key="k", deltas={"orders": 1}),
                                                 IncrScores(key="inv", deltas={"p1": -2})))
    await store.apply(batch(write, write))
    await store.apply(batch(write, Once(token="ev-2", ttl_s=60,
                                        writes=(IncrFields(key="k", deltas={"orders": 1}),))))
    assert await store.get_fields("k") == {"orders": "2"}
    assert await store.score("inv", "p1") == -2.0


async def test_distinct_counts_union(store: OnlineStore) -> None:
    await store.apply(batch(AddDistinct(key="d1", members=["a", "b", "c"]),
                            AddDistinct(key="d2", members=["c", "d"])))
    assert await store.count_distinct([["d1"], ["d1", "d2"], ["none"], []]) == [3, 4, 0, 0]


async def test_claim_is_first_come(store: OnlineStore) -> None:
    assert await store.claim("alert:p1:0", 60)
    assert not await store.claim("alert:p1:0", 60)
    assert await store.claim("alert:p1:1", 60)


async def test_delete_and_ttl(store: OnlineStore) -> None:
    await store.apply(batch(IncrFields(key="gone", deltas={"x": 1}), Delete(key="gone"),
                            IncrFields(key="short", deltas={"x": 1}, ttl_s=0.001)))
    import asyncio

    await asyncio.sleep(0.05)
    assert await store.get_fields("gone") == {}
    assert await store.get_fields("short") == {}


async def test_a_key_emptied_in_a_batch_gets_its_ttl_again(store: OnlineStore) -> None:
    # Redis sets a key's TTL once per script call: a key deleted (or emptied by a removal or
    # a take) and written again in the same batch must get it again, not live forever.
    ttl = 0.05
    await store.apply(batch(
        SetFields(key="again", values={"a": "1"}, ttl_s=ttl), Delete(key="again"),
        SetFields(key="again", values={"b": "2"}, ttl_s=ttl),
        IncrScores(key="zagain", deltas={"a": 1.0}, ttl_s=ttl),
        Remove(key="zagain", members=["a"]),
        IncrScores(key="zagain", deltas={"b": 1.0}, ttl_s=ttl),
        SetFields(key="tagain", values={"m": "x"}, ttl_s=ttl),
        Take(key="tagain", field="m"),
        SetFields(key="tagain", values={"n": "y"}, ttl_s=ttl),
        IncrFields(key="twice", deltas={"x": 1}, ttl_s=60.0),
        IncrFields(key="twice", deltas={"x": 1}, ttl_s=ttl)))
    import asyncio

    await asyncio.sleep(0.3)
    assert await store.get_many(["again", "tagain", "twice"]) == [{}, {}, {}]
    assert await store.top("zagain", 5) == []


async def test_large_batch_spans_chunks(store: OnlineStore) -> None:
    writes = [IncrFields(key=f"many:{i % 7}", deltas={"n": 1}) for i in range(5000)]
    await store.apply(batch(*writes))
    rows = await store.get_many([f"many:{i}" for i in range(7)])
    assert sum(int(r["n"]) for r in rows) == 5000


async def test_remove_members(store: OnlineStore) -> None:
    await store.apply(batch(IncrScores(key="q", deltas={"a": 1.0, "b": 2.0})))
    await store.apply(batch(Remove(key="q", members=["b", "c"])))
    assert await store.top("q", 5) == [("a", 1.0)]


async def test_set_scores_replaces_and_keeps_the_highest(store: OnlineStore) -> None:
    await store.apply(batch(SetScores(key="idx", scores={"a": 1.0, "b": 2.0, "c": 3.0})))
    await store.apply(batch(SetScores(key="idx", scores={"a": 5.0, "d": 0.5}, keep=3)))
    assert await store.top("idx", 10) == [("a", 5.0), ("c", 3.0), ("b", 2.0)]


async def test_take_applies_its_writes_once_and_only_if_the_field_was_there(
        store: OnlineStore) -> None:
    take = Take(key="outbox", field="m1", writes=[IncrFields(key="n", deltas={"sent": 1}),
                                                   SetScores(key="idx", scores={"p": 7.0})])
    await store.apply(batch(take))  # nothing pending yet
    assert await store.get_fields("n") == {}
    await store.apply(batch(SetFields(key="outbox", values={"m1": "x", "m2": "y"})))
    await store.apply(batch(take, take))
    await store.apply(batch(take))
    assert await store.get_fields("n") == {"sent": "1"}
    assert await store.get_fields("outbox") == {"m2": "y"}
    assert await store.top("idx", 5) == [("p", 7.0)]


async def test_once_guards_deletes_and_set_scores(store: OnlineStore) -> None:
    await store.apply(batch(SetFields(key="h", values={"x": "1"})))
    claim = Once(token="c:{p}:0", ttl_s=60, writes=[Delete(key="h"),
                                                    SetScores(key="i", scores={"p": 1.0})])
    await store.apply(batch(claim))
    await store.apply(batch(SetFields(key="h", values={"x": "2"}), claim))
    assert await store.get_fields("h") == {"x": "2"}
    assert await store.top("i", 5) == [("p", 1.0)]
