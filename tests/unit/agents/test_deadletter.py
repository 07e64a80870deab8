from __future__ import annotations

import asyncio
import base64
import hashlib

import orjson
import pytest
from aiokafka.errors import MessageSizeTooLargeError, UnknownError
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.deadletter import (
    MAX_RECORD_BYTES,
    ORIGINAL_PREFIX_BYTES,
    Message,
    dead_letter,
    deliver_letters,
)


def test_keeps_original_bytes_reason_and_source() -> None:
    record = orjson.loads(dead_letter(raw=b'{"x":', error="event: Invalid JSON", field="event",
                                      topic="commerce.events", partition=2, offset=41,
                                      key=b"u1"))
    assert record["original"] == '{"x":'
    assert record["original_encoding"] == "utf-8"
    assert record["error"] == "event: Invalid JSON"
    assert record["source"] == {"topic": "commerce.events", "partition": 2, "offset": 41,
                                "key": "u1"}


def test_binary_payloads_are_base64() -> None:
    record = orjson.loads(dead_letter(raw=b"\xff\x00", error="e", field="event", topic="t",
                                      partition=0, offset=0))
    assert record["original_encoding"] == "base64"
    assert base64.b64decode(record["original"]) == b"\xff\x00"


HOSTILE = [
    b"\x00" * 200_000,  # control characters: 6 bytes each once JSON-escaped
    b'"' * 200_000,  # quotes: 2 bytes each
    b"\xff\xfe" * 100_000,  # not UTF-8
    "é".encode() * 100_000,  # multi-byte characters, cut by the prefix
    b"{" * 1_000_000,
]


@pytest.mark.parametrize("raw", HOSTILE, ids=["control", "quotes", "binary", "utf8", "brace"])
def test_a_dead_letter_is_bounded_whatever_its_input(raw: bytes) -> None:
    value = dead_letter(raw=raw, error="\x00" * 100_000, field="\x01" * 10_000, topic="t",
                        partition=0, offset=0, key=b"\x02" * 10_000)
    assert len(value) <= MAX_RECORD_BYTES < 100_000
    record = orjson.loads(value)
    assert record["original_bytes"] == len(raw)
    assert record["original_sha256"] == hashlib.sha256(raw).hexdigest()
    assert record["original_truncated"]
    head = (base64.b64decode(record["original"]) if record["original_encoding"] == "base64"
            else record["original"].encode())
    assert raw.startswith(head) and len(raw) - ORIGINAL_PREFIX_BYTES <= len(raw) - len(head)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=3 * ORIGINAL_PREFIX_BYTES) | st.text(max_size=20_000).map(
    str.encode), error=st.text(max_size=3000))
def test_any_input_gives_a_bounded_record_that_keeps_its_head(raw: bytes, error: str) -> None:
    value = dead_letter(raw=raw, error=error, field="f", topic="t", partition=1, offset=2)
    assert len(value) <= MAX_RECORD_BYTES
    record = orjson.loads(value)
    head = (base64.b64decode(record["original"]) if record["original_encoding"] == "base64"
            else record["original"].encode())
    assert raw.startswith(head)
    if len(raw) <= ORIGINAL_PREFIX_BYTES:
        assert head == raw and not record["original_truncated"]
    else:
        assert len(head) > ORIGINAL_PREFIX_BYTES - 4


async def test_a_letter_too_large_for_the_broker_is_sent_without_its_original() -> None:
    class Small:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        async def send(self, *, key: bytes | None, value: bytes) -> asyncio.Future[None]:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if len(value) > 1000:
                fut.set_exception(MessageSizeTooLargeError())
            else:
                self.sent.append(value)
                fut.set_result(None)
            return fut

    topic = Small()
    value = dead_letter(raw=b"x" * 5000, error="e", field="f", topic="t", partition=0, offset=7)
    await deliver_letters(topic, [Message(None, value)])
    [sent] = [orjson.loads(v) for v in topic.sent]
    assert sent["original_encoding"] == "omitted" and sent["source"]["offset"] == 7
    assert sent["original_sha256"] == hashlib.sha256(b"x" * 5000).hexdigest()


async def test_a_letter_its_partition_refuses_forever_goes_to_any_partition() -> None:
    class LostPartition:  # an empty broker in place of the old one lacks the key's partition
        def __init__(self) -> None:
            self.sent: list[tuple[bytes | None, bytes]] = []

        async def send(self, *, key: bytes | None, value: bytes) -> asyncio.Future[None]:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if key == b"burst":
                fut.set_exception(UnknownError())
            else:
                self.sent.append((key, value))
                fut.set_result(None)
            return fut

    topic = LostPartition()
    value = dead_letter(raw=b"{", error="e", field="event", topic="t", partition=3, offset=9,
                        key=b"burst")
    await asyncio.wait_for(deliver_letters(topic, [Message(b"burst", value)]), timeout=30)
    [(key, sent)] = topic.sent
    assert key is None and orjson.loads(sent)["source"]["key"] == "burst"
