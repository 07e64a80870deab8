"""`PipelinedReader` on real sockets: the machine's Redis for replies (under a prefix of the
test's own, deleted after), a redis-server of the test's own to stop and start, and plain
sockets that never answer or answer garbage. Commands sent in one loop turn share one
connection and one write, so each test also checks that replies stay matched to their
callers when some callers give up."""

from __future__ import annotations

import asyncio
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.online import redis_reader
from features.online.redis_reader import Endpoint, PipelinedReader
from features.online.store import StoreUnavailable
from tests.integration.serving.conftest import own_redis  # noqa: F401  (a fixture)

pytestmark = pytest.mark.integration


@pytest.fixture
async def space(redis_url: str) -> AsyncIterator[tuple[Any, str]]:
    """A redis-py client and a key prefix of this test's own."""
    client: Any = aioredis.Redis.from_url(redis_url)
    prefix = f"test-reader-{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    keys = [k async for k in client.scan_iter(match=prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def test_urls_read_as_redis_py_reads_them() -> None:
    assert Endpoint.from_url("redis://127.0.0.1:6379/15") == Endpoint(db=15)
    assert Endpoint.from_url("redis://h:7000?db=3").db == 3
    assert Endpoint.from_url("redis://u%40x:p%3Aw@h/2") == Endpoint(
        host="h", db=2, username="u@x", password="p:w")
    assert Endpoint.from_url("redis://:secret@h").handshake() == [("AUTH", "secret")]
    assert Endpoint.from_url("redis://u:s@h/4").handshake() == [("AUTH", "u", "s"),
                                                               ("SELECT", 4)]
    assert Endpoint.from_url("unix:///run/redis.sock?db=2") == Endpoint(
        path="/run/redis.sock", db=2)
    tls = Endpoint.from_url("rediss://h:6380/1?ssl_cert_reqs=none").tls
    assert tls is not None and tls.verify_mode == ssl.CERT_NONE
    strict = Endpoint.from_url("rediss://h:6380/1").tls
    assert strict is not None and strict.verify_mode == ssl.CERT_REQUIRED
    with pytest.raises(ValueError):
        Endpoint.from_url("http://h:6379")


async def test_one_loop_turn_of_commands_answers_each_caller(space, redis_url) -> None:
    client, prefix = space
    for i in range(200):
        if i % 7:
            await client.rpush(f"{prefix}l{i}", *[f"{i}-{j}" for j in range(i % 7)])
    reader = PipelinedReader(url=redis_url)
    try:
        got = await asyncio.gather(*[reader.call("LRANGE", f"{prefix}l{i}", 0, -1)
                                     for i in range(200)])
        assert got == [[f"{i}-{j}" for j in range(i % 7)] for i in range(200)]
        many = await reader.many([("LRANGE", f"{prefix}l{i}", 0, -1) for i in range(3, 6)]
                                 + [("HGETALL", f"{prefix}none"), ("PING",)])
        assert many == [got[3], got[4], got[5], [], "PONG"]
    finally:
        await reader.close()


async def test_callers_that_give_up_do_not_shift_the_replies(space, redis_url) -> None:
    client, prefix = space
    for name in "abcd":
        await client.rpush(prefix + name, name)
    reader = PipelinedReader(url=redis_url)
    try:
        await reader.call("PING")  # connected: the next four go out in one write
        calls = {n: asyncio.ensure_future(reader.call("LRANGE", prefix + n, 0, -1))
                 for n in "abcd"}
        await asyncio.sleep(0)  # every call is queued on the connection
        calls["b"].cancel()
        calls["c"].cancel()
        assert await calls["a"] == ["a"]
        assert await calls["d"] == ["d"]
        assert await reader.call("LRANGE", prefix + "c", 0, -1) == ["c"]
        with pytest.raises(asyncio.CancelledError):
            await calls["b"]
    finally:
        await reader.close()


async def test_a_script_redis_lacks_is_loaded_once(space, redis_url) -> None:
    client, prefix = space
    await client.rpush(prefix + "x", "1", "2")
    source = f"-- {uuid.uuid4().hex}\nreturn redis.call('LRANGE', KEYS[1], 0, ARGV[1])"
    reader = PipelinedReader(url=redis_url)
    try:
        assert await reader.script(source, [prefix + "x"], [0]) == ["1"]  # EVAL
        assert await reader.script(source, [prefix + "x"], [1]) == ["1", "2"]  # EVALSHA
        with pytest.raises(StoreUnavailable):  # an error reply is the store's failure
            await reader.script("return redis.call('NOPE')", [], [])
        assert await reader.call("PING") == "PONG"  # and the connection goes on
    finally:
        await reader.close()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.binary(max_size=64), max_size=8))
async def test_any_bytes_come_back_as_text_never_a_crash(space, redis_url, values) -> None:
    """Whatever a writer left in a list (not UTF-8, CR LF, RESP-looking bytes), the reader
    returns one string per value, decoded as redis-py with decode_responses would have,
    with undecodable bytes replaced rather than raised."""
    client, prefix = space
    key = prefix + "bytes"
    await client.delete(key)
    if values:
        await client.rpush(key, *values)
    reader = PipelinedReader(url=redis_url)
    try:
        got = await reader.call("LRANGE", key, 0, -1)
        assert got == [v.decode("utf-8", errors="replace") for v in values]
        assert await reader.call("PING") == "PONG"
    finally:
        await reader.close()


async def test_a_stopped_redis_fails_fast_and_a_restarted_one_is_found(
        own_redis) -> None:  # noqa: F811  (the imported fixture)
    reader = PipelinedReader(url=own_redis.url)
    try:
        assert await reader.call("PING") == "PONG"
        own_redis.stop()
        with pytest.raises(StoreUnavailable):
            await reader.call("PING")
        with pytest.raises(StoreUnavailable):  # refused: no connection to reuse
            await reader.many([("PING",), ("PING",)])
        own_redis.start()
        assert await reader.call("PING") == "PONG"
    finally:
        await reader.close()


async def _serve(answer: bytes | None) -> tuple[asyncio.Server, str]:
    """A socket that reads commands and answers `answer` to each (None: never answers)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(4096):
            if answer is not None:
                writer.write(answer)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"redis://127.0.0.1:{port}/0"


@pytest.mark.parametrize(("answer", "reason"), [(None, "no reply"),
                                               (b"\x00not redis\r\n", "protocol")])
async def test_a_server_that_never_answers_or_speaks_garbage_is_dropped(
        monkeypatch, answer, reason) -> None:
    monkeypatch.setattr(redis_reader, "STALL_S", 0.2)
    server, url = await _serve(answer)
    reader = PipelinedReader(url=url)
    try:
        async with asyncio.timeout(5):
            with pytest.raises(StoreUnavailable, match=reason):
                await reader.call("PING")
    finally:
        await reader.close()
        server.close()


def test_each_event_loop_gets_its_own_connection(redis_url) -> None:
    reader = PipelinedReader(url=redis_url)

    async def ping() -> str:
        return str(await reader.call("PING"))

    assert asyncio.run(ping()) == "PONG"
    assert asyncio.run(ping()) == "PONG"  # the first loop's connection died with its loop
