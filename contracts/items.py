"""Items are addressed across domains as `<kind>:<id>`; each kind belongs to one domain.

Which item an event is about is declared with the event (`ItemRef`, contracts/declaration.py).
"""

from __future__ import annotations

from enum import StrEnum


class Domain(StrEnum):
    commerce = "commerce"
    community = "community"
    podcast = "podcast"


KIND_DOMAIN: dict[str, Domain] = {
    "product": Domain.commerce,
    "post": Domain.community,
    "comment": Domain.community,
    "community": Domain.community,
    "episode": Domain.podcast,
    "show": Domain.podcast,
}


def item_domain(item_id: str) -> Domain | None:
    kind, _, _ = item_id.partition(":")
    return KIND_DOMAIN.get(kind)
