"""A refused event's first error as an `EventError` naming the field (bounded, printable)."""

from __future__ import annotations

import re
from collections.abc import Collection

from pydantic import ValidationError

from contracts.envelope import MAX_ID_LENGTH, EventError

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def _part(part: str | int) -> str:
    """A location part as a bounded, printable name (an unknown field is the sender's)."""
    text = _UNPRINTABLE.sub("?", str(part))
    return text if len(text) <= MAX_ID_LENGTH else text[:MAX_ID_LENGTH] + "..."


def first_error(exc: ValidationError, event_types: Collection[str]) -> EventError:
    """The first error of a union of `event_types` refusing an event."""
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    # The first location part is the union tag (the event type): not a field of the event.
    if loc and loc[0] in event_types:
        loc = loc[1:]
    if err["type"] in ("union_tag_not_found", "union_tag_invalid"):
        return EventError("event_type", "missing or unknown event type")
    if err["type"] == "json_invalid":
        return EventError("event", err["msg"])
    reason = err["msg"].removeprefix("Value error, ")
    return EventError(".".join(_part(p) for p in loc) or "event", reason)
