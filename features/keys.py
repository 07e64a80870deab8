"""How every online-store key is spelled, so that no user-chosen id can reach another key.

A key is a fixed family prefix (`inv`, `alerts:lowstock`, ...) and, where the key belongs to
an entity, the entity's id as one escaped segment inside braces: `inv:{P1}`,
`inv:sold:{P1}:19875`. The escape percent-encodes `%`, `:`, `{`, `}`, `|`, space and every
non-printable character (as UTF-8 bytes), so:

- an id key always holds exactly one `{…}` and a system key (`alerts:lowstock:ack`,
  `stats:total`) none: a product named `ack` is `alerts:lowstock:{ack}`, not the ack set;
- the braces are the key's Redis Cluster hash tag, and an id cannot inject `{` or `}`:
  an entity's keys (its counters, its once-claims, its pending messages) share one slot, so
  a claim and the effects it guards can be one atomic script call on a cluster too;
- the escape is injective (`%` is escaped too), so two ids never share a key.

Printable non-ASCII stays readable. Ids that need no escaping (nearly all) cost one regex
scan (about 0.1 µs, docs/stream.md).
"""

from __future__ import annotations

import re

# Printable ASCII without % : { | } and space: ids made only of these are their own escape.
_UNSAFE = re.compile(r"[^!-$&-9;-z~]")
_ALWAYS = frozenset("%:{}|")
OTHER = "other"  # where values outside a bounded set are counted


def escape(segment: str) -> str:
    """`segment` with `% : { } |`, whitespace and non-printables percent-encoded."""
    if _UNSAFE.search(segment) is None:
        return segment
    out = []
    for ch in segment:
        if ch in _ALWAYS or not ch.isprintable() or ch.isspace():
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return "".join(out)


def tag(entity_id: str) -> str:
    """The id segment of an entity's keys: escaped, in braces (its Redis Cluster hash tag).
    An empty id (contracts refuse it) becomes `%`, which no escape produces: a tag is never
    empty, so Redis Cluster never falls back to hashing the whole key."""
    return "{" + (escape(entity_id) or "%") + "}"


def field(*parts: str) -> str:
    """A hash field made of several segments (`<community>|posts`), each escaped."""
    return "|".join(escape(p) for p in parts)


def hash_tag(key: str) -> str:
    """What Redis Cluster hashes for `key`: the text of the first non-empty `{…}`, else all."""
    start = key.find("{")
    if start != -1:
        end = key.find("}", start + 1)
        if end > start + 1:
            return key[start + 1:end]
    return key
