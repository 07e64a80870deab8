from __future__ import annotations

import base64

import orjson

from agents.deadletter import dead_letter


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
