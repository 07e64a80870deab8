"""How an event type is declared: one keyword-only `EventSpec` beside its schema.

A declaration says everything the rest of the system needs to know about an event type
(`contracts.registry` derives every table from the declarations, once, at import):

- `domain`: the bounded context it belongs to; its source topic is `<domain>.events` and the
  worker's context of that name consumes it;
- `key`: the field it is partitioned by when it has no user (else the user, else its id);
- `publisher`: the API scope that may publish it over `POST /v1/events` (contracts/scopes.py);
- `item`: the item or items it is about (`<kind>:<id>`; an order: every line's product);
- `interaction`: what it says about the user's interest in those items, for the training set
  (models/training_set.py) and the live history and trending (agents/) alike;
- `funnel`: the step of the purchase funnel it marks; `session_counter`: the field of the
  user's session hash it adds 1 to; `counter`: the approximate per-minute counter (a field of
  the overview's minute hashes, features/kpis.py) it adds 1 to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from contracts.envelope import Envelope
from contracts.items import KIND_DOMAIN

# The scopes that may publish events (see contracts/scopes.py for who holds which).
STOREFRONT: Final = "storefront"
FACTS: Final = "events:facts"
Publisher = Literal["storefront", "events:facts"]


class EventDomain(StrEnum):
    """The bounded contexts events belong to: one source topic `<domain>.events` each."""

    commerce = "commerce"
    community = "community"
    podcast = "podcast"
    identity = "identity"
    recommendation = "recommendation"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRef:
    """The item an event is about: `<kind>:<value of field>`.

    `kind_field` instead of `kind` names the field that holds the kind (a vote's
    `target_type`); `each` names a sequence field whose every element is one item (an
    order's `lines`, each naming its product in `field`)."""

    field: str
    kind: str | None = None
    kind_field: str | None = None
    each: str | None = None

    def __post_init__(self) -> None:
        if (self.kind is None) == (self.kind_field is None):
            raise ValueError("an item has either a kind or a kind_field")
        if self.kind is not None and self.kind not in KIND_DOMAIN:
            raise ValueError(f"unknown item kind {self.kind!r} (contracts/items.py)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """A play that reached `share` of its length (`position` / `duration`) weighs `weight`."""

    position: str
    duration: str
    share: float
    weight: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Interaction:
    """What an event says about the user's interest in the items it touches.

    `weight` is signed: below 0 the user turned away (a cart removal, an unsubscription).
    `sign_field` names a +1/-1 field (a vote's `value`): when it is negative the weight is
    `against`. `excludes`: the user has the item now (bought it, played it), so it is not
    recommended to them again by default."""

    weight: float
    excludes: bool = False
    sign_field: str | None = None
    against: float | None = None
    completion: Completion | None = None

    def __post_init__(self) -> None:
        if (self.sign_field is None) != (self.against is None):
            raise ValueError("sign_field and against go together")


@dataclass(frozen=True, slots=True, kw_only=True)
class EventSpec:
    """One event type's declaration (see the module for what each field means)."""

    schema: type[Envelope]
    domain: EventDomain
    key: str | None
    publisher: Publisher
    item: ItemRef | None = None
    interaction: Interaction | None = None
    funnel: str | None = None
    session_counter: str | None = None
    counter: str | None = None

    @property
    def event_type(self) -> str:
        return str(self.schema.model_fields["event_type"].default)

    def __post_init__(self) -> None:
        fields = self.schema.model_fields
        if not isinstance(fields["event_type"].default, str):
            raise ValueError(f"{self.schema.__name__} has no event_type default")
        named = [self.key, *(() if self.item is None else
                             (self.item.kind_field, self.item.each or self.item.field))]
        for name in named:
            if name is not None and name not in fields:
                raise ValueError(f"{self.event_type}: no field {name!r}")
        if self.interaction is not None and self.item is None:
            raise ValueError(f"{self.event_type}: an interaction needs an item")
