"""The words of an item, so that an item no model has seen yet still has content neighbours.

- `text:{<item_id>}`: a hash with `text` (title, body or description, tags, category: the same
  words a content model is trained on, see `models.item_metadata`) and `category`, written by
  the stream for every post and episode published. Products' words live in the core's
  catalogue, which serving reads directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from features.keys import tag
from features.online import OnlineStore, SetFields

# Needed only until the next training has seen the item; 30 days covers a missed week.
TEXT_TTL_S = 30 * 86_400.0
MAX_CHARS = 1_000  # the head of a long body says what it is about; Redis keeps it small


def text_key(item_id: str) -> str:
    return "text:" + tag(item_id)


def item_words(*parts: str, tags: Sequence[str] = ()) -> str:
    return " ".join(p.strip() for p in (*parts, *tags) if p and p.strip())[:MAX_CHARS]


def text_write(item_id: str, *, text: str, category: str) -> SetFields:
    return SetFields(key=text_key(item_id), values={"text": text, "category": category},
                     ttl_s=TEXT_TTL_S)


async def item_text(store: OnlineStore, item_id: str) -> tuple[str, str] | None:
    """The item's words and category, or None when the stream never saw it published."""
    fields = await store.get_fields(text_key(item_id))
    if not fields.get("text"):
        return None
    return fields["text"], fields.get("category", "")
