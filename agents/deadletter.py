"""The dead-letter record: what failed, why and where it came from, with the original's head.

A record is bounded whatever the input: it keeps the first `ORIGINAL_PREFIX_BYTES` of the
original (as UTF-8 text when its JSON escaping at most doubles it, else base64, so 200 KB of
control characters cannot become a megabyte of `\\u0000`), the original's length and its
SHA-256, and bounded error, field and key texts. `MAX_RECORD_BYTES` is the bound a test
holds every record to, far below the producer's 1 MiB limit.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka.errors import MessageSizeTooLargeError

log = logging.getLogger(__name__)

ORIGINAL_PREFIX_BYTES = 16 << 10
MAX_ERROR_CHARS = 1000
MAX_FIELD_CHARS = 200
MAX_KEY_BYTES = 256
# Text fields at most 6 bytes per character once escaped (\u0000), the original at most
# max(2 x prefix, base64 of the prefix), plus the fixed part.
MAX_RECORD_BYTES = (2 * ORIGINAL_PREFIX_BYTES + 6 * (MAX_ERROR_CHARS + MAX_FIELD_CHARS
                                                     + MAX_KEY_BYTES + 300) + 1024)
FIRST_DELAY_S = 0.1
MAX_DELAY_S = 5.0
REKEY_AFTER_ROUNDS = 4  # about 1.5 s of back-off


def _text(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit] + "..."


def _utf8(data: bytes, *, cut: bool) -> str | None:
    """`data` as text if it is UTF-8, else None; with `cut`, a last character that the prefix
    cut in two is dropped."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.reason == "unexpected end of data":
            return data[:exc.start].decode("utf-8")  # valid up to the cut character
        return None


def bounded_original(raw: bytes) -> tuple[str, str]:
    """The kept head of `raw` and its encoding (`utf-8` or `base64`)."""
    head = raw[:ORIGINAL_PREFIX_BYTES]
    text = _utf8(head, cut=len(raw) > len(head))
    if text is not None and len(orjson.dumps(text)) <= 2 * len(head) + 2:
        return text, "utf-8"
    return base64.b64encode(head).decode(), "base64"


def dead_letter(*, raw: bytes | None, error: str, field: str, topic: str, partition: int,
                offset: int, key: bytes | None = None, stage: str = "parse") -> bytes:
    """The record for one event. `stage`: `parse` (the contract refused it), `process` (its
    context's logic or the store refused it: nothing of it was applied) or `after` (its
    writes were applied, its read-after-write decisions failed)."""
    data = raw or b""
    original, encoding = bounded_original(data)
    record: dict[str, Any] = {
        "error": _text(error, MAX_ERROR_CHARS),
        "field": _text(field, MAX_FIELD_CHARS),
        "stage": stage,
        "source": {"topic": topic, "partition": partition, "offset": offset,
                   "key": key[:MAX_KEY_BYTES].decode("utf-8", "replace") if key else None},
        "original": original,
        "original_encoding": encoding,
        "original_bytes": len(data),
        "original_truncated": len(data) > ORIGINAL_PREFIX_BYTES,
        "original_sha256": hashlib.sha256(data).hexdigest(),
        "dead_lettered_at": datetime.now(UTC).isoformat(),
    }
    return orjson.dumps(record)


def _without_original(value: bytes) -> bytes:
    record = orjson.loads(value)
    record["original"], record["original_encoding"] = "", "omitted"
    return orjson.dumps(record)


@dataclass(frozen=True, slots=True)
class Message:
    key: bytes | None
    value: bytes


async def deliver(topic: Any, messages: Sequence[Message], *, what: str,
                  on_retry: Callable[[], object] | None = None,
                  fallback: Callable[[Message, BaseException, int], Message] | None = None
                  ) -> None:
    """Send every message and wait for the broker's acknowledgement of each; resend what
    failed with back-off until all are delivered. Never raises (but `CancelledError`): a
    broker that fails is waited for, and the batch is not committed meanwhile. `fallback`
    (message, error, failed rounds) may change what is sent again."""
    todo, delay, rounds = list(messages), FIRST_DELAY_S, 0
    while todo:
        sent: list[tuple[Message, Any]] = []
        failed: list[Message] = []
        errors: list[BaseException] = []
        for m in todo:
            try:
                sent.append((m, await topic.send(key=m.key, value=m.value)))
            except Exception as exc:
                failed.append(m)
                errors.append(exc)
        for m, fut in sent:
            try:
                await fut
            except Exception as exc:
                failed.append(m)
                errors.append(exc)
        if not failed:
            return
        rounds += 1
        if fallback is not None:
            failed = [fallback(m, e, rounds) for m, e in zip(failed, errors, strict=True)]
        if on_retry is not None:
            on_retry()
        log.warning("%s: %d of %d messages not delivered, retrying in %.1fs: %r", what,
                    len(failed), len(todo), delay, errors[0])
        await asyncio.sleep(delay)
        delay, todo = min(delay * 2, MAX_DELAY_S), failed


def _letter_fallback(m: Message, error: BaseException, rounds: int) -> Message:
    """A letter the broker finds too large loses its original (it never should be); one
    refused again and again goes to any partition: a broker that lost a partition (an empty
    broker in its place, topics auto-created smaller) can refuse its key's forever. The
    source key stays in the record."""
    if isinstance(error, MessageSizeTooLargeError):
        return Message(m.key, _without_original(m.value))
    return Message(None, m.value) if rounds >= REKEY_AFTER_ROUNDS else m


async def deliver_letters(topic: Any, letters: Sequence[Message],
                          on_retry: Callable[[], object] | None = None) -> None:
    await deliver(topic, letters, what="dead letters", on_retry=on_retry,
                  fallback=_letter_fallback)
