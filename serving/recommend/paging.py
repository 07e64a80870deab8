"""Cursors of personalised lists: the next page never repeats an item of earlier pages.

A cursor is opaque to the caller: base64url of a version byte, the request it belongs to (a
digest of the user and the filters), the ranking it was cut from (a digest of the model
version and the user's live history and consumed items), and a 4-byte digest (CRC-32) of
every item served so far, sealed with a keyed BLAKE2b tag. The item digests need no
cryptographic strength: the tag already seals them, and a collision only drops one item from
a later page; CRC-32 costs a fifth of a BLAKE2b call, and every answer with more to come
carries a cursor. The next page is the first k items of the
current ranking whose digest is not in the cursor, so:

- while the model and the history are unchanged, the ranking is the same and page n+1 is
  exactly its next k items (what an offset would give);
- when they changed (a new model version, a click, a purchase), the next page comes from the
  new ranking and still skips every item served before; the answer says `ranking_changed`.

A cursor that does not decode, whose tag does not match, or that belongs to another user or
other filters is refused (422 naming `cursor`). Paging stops after `MAX_PAGED` items (no
`next_cursor` then): a cursor stays under 3 kB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

VERSION = 2  # 2: CRC-32 item digests (1 used BLAKE2b ones)
DIGEST = 4  # bytes per served item: a collision only drops one item from a later page
BINDING = 8
TAG = 16
HEADER = 1 + 2 * BINDING
MAX_PAGED = 500
MAX_CURSOR_CHARS = 4 * ((HEADER + DIGEST * MAX_PAGED + TAG + 2) // 3)
# Tamper evidence, not secrecy: a cursor only selects a page of the caller's own list.
_KEY = b"agora.recommendations.cursor.v1"


class InvalidCursor(ValueError):
    """The cursor is malformed, forged, or belongs to another request."""


@dataclass(frozen=True, slots=True)
class Page:
    """What earlier pages served, and the ranking they were cut from."""

    ranking: bytes
    served: frozenset[bytes] = frozenset()

    def admits(self, item_id: str) -> bool:
        return item_digest(item_id) not in self.served


def item_digest(item_id: str) -> bytes:
    return zlib.crc32(item_id.encode()).to_bytes(DIGEST, "big")


def digest(*parts: object) -> bytes:
    """A short digest of a request's or a ranking's parts (order matters)."""
    h = hashlib.blake2b(digest_size=BINDING)
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\x00")
    return h.digest()


def ranking_digest(model: str | None, history: Iterable[str], exclude: Iterable[str],
                   disliked: Mapping[str, float]) -> bytes:
    """The digest of what a ranking was cut from: the model in service, the live history (in
    order), the excluded items and the disliked ones. Ids are printable (contracts), so the
    control characters that join them cannot occur inside one."""
    text = "\x1e".join((str(model), "\x1f".join(history), "\x1f".join(sorted(exclude)),
                        repr(sorted(disliked.items()))))
    return hashlib.blake2b(text.encode(), digest_size=BINDING).digest()


def _tag(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=TAG).digest()


def encode(*, request: bytes, ranking: bytes, served: Iterable[bytes]) -> str:
    body = bytes([VERSION]) + request + ranking + b"".join(sorted(set(served)))
    return base64.urlsafe_b64encode(body + _tag(body)).rstrip(b"=").decode()


def decode(cursor: str, *, request: bytes) -> Page:
    """The page a cursor continues; `InvalidCursor` with the reason otherwise."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor("cursor too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, UnicodeEncodeError):
        raise InvalidCursor("not a cursor") from None
    body, tag = raw[:-TAG], raw[-TAG:]
    if len(raw) < HEADER + TAG or (len(body) - HEADER) % DIGEST:
        raise InvalidCursor("not a cursor")
    if not hmac.compare_digest(tag, _tag(body)):
        raise InvalidCursor("cursor altered or forged")
    if body[0] != VERSION:
        raise InvalidCursor("cursor of another version")
    if not hmac.compare_digest(body[1:1 + BINDING], request):
        raise InvalidCursor("cursor of another user or other filters")
    items = body[HEADER:]
    return Page(ranking=body[1 + BINDING:HEADER],
                served=frozenset(items[i:i + DIGEST] for i in range(0, len(items), DIGEST)))


def after(*, request: bytes, page: Page | None, ranking: bytes, items: Iterable[str],
          more: bool) -> str | None:
    """The cursor of the page after `items`; None when the ranking has nothing more or
    paging reached `MAX_PAGED` items."""
    if not more:  # nothing to digest: no next page
        return None
    served = {item_digest(i) for i in items}
    if page is not None:
        served |= page.served
    if len(served) >= MAX_PAGED:
        return None
    return encode(request=request, ranking=ranking, served=served)
