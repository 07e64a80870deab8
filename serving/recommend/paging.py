"""Cursors of personalised lists: the next page never repeats an item of earlier pages.

A cursor is opaque to the caller: base64url of a version byte, the request it belongs to (a
digest of the user and the filters), the ranking it was cut from (a digest of the model
version and the user's live history and consumed items), and a 4-byte digest of every item
served so far, sealed with a keyed BLAKE2b tag. The next page is the first k items of the
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
from collections.abc import Iterable
from dataclasses import dataclass

VERSION = 1
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
    return hashlib.blake2b(item_id.encode(), digest_size=DIGEST).digest()


def digest(*parts: object) -> bytes:
    """A short digest of a request's or a ranking's parts (order matters)."""
    h = hashlib.blake2b(digest_size=BINDING)
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\x00")
    return h.digest()


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
