"""The dead-letter record: what failed, why, and where it came from, with the original bytes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson


def dead_letter(*, raw: bytes | None, error: str, field: str, topic: str, partition: int,
                offset: int, key: bytes | None = None) -> bytes:
    data = raw or b""
    try:
        original, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(data).decode(), "base64"
    record: dict[str, Any] = {
        "error": error,
        "field": field,
        "source": {"topic": topic, "partition": partition, "offset": offset,
                   "key": key.decode("utf-8", "replace") if key else None},
        "original": original,
        "original_encoding": encoding,
        "dead_lettered_at": datetime.now(UTC).isoformat(),
    }
    return orjson.dumps(record)
