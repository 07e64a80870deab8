"""The event registry: every table about event types, derived from their declarations.

`EVENTS` is built once at import from the declarations beside the schemas
(contracts/commerce.py, ...); `EVENTS.extended(spec, ...)` is a registry with more types (a
test's). Every table is a plain dict or frozenset, so the stream's hot path pays one lookup
per event, never a walk through the declarations.

`touch[event_type](event)` is the one interpretation of an interaction: the items it
touches with their domain and signed weight, for a validated event (a model) or its fields
as a dict (a lake row's payload). The training set and the worker both call it, so the two
cannot disagree on what a signal means.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import reduce
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from contracts import commerce, community, identity, podcast, recommendation
from contracts.declaration import EventDomain, EventSpec, Interaction, ItemRef
from contracts.envelope import MAX_AHEAD_S, Envelope, window_context
from contracts.errors import first_error
from contracts.items import KIND_DOMAIN, Domain

Touch = tuple[str, Domain, float]  # item, its domain, the signed weight
Toucher = Callable[[Any], tuple[Touch, ...]]


def field_of(event: Any, name: str) -> Any:
    """A field of a validated event, or of its fields as a plain dict."""
    return event[name] if isinstance(event, dict) else getattr(event, name)


def toucher(item: ItemRef, interaction: Interaction) -> Toucher:
    """The function from an event to the (item, domain, weight) it means (see the module)."""
    field, kind_field, each = item.field, item.kind_field, item.each
    prefix = f"{item.kind}:" if item.kind is not None else ""
    domain = KIND_DOMAIN[item.kind] if item.kind is not None else None
    weight, sign, against = interaction.weight, interaction.sign_field, interaction.against
    done = interaction.completion

    if kind_field is None and each is None and sign is None and done is None:
        assert domain is not None

        def plain(event: Any) -> tuple[Touch, ...]:
            return ((prefix + str(field_of(event, field)), domain, weight),)
        return plain

    def touch(event: Any) -> tuple[Touch, ...]:
        w = weight
        if sign is not None and field_of(event, sign) < 0:
            w = against  # type: ignore[assignment]  # set with sign (Interaction checks)
        if done is not None:
            share = (float(field_of(event, done.position))
                     / max(float(field_of(event, done.duration)), 1e-9))
            w = done.weight if share >= done.share else w
        if each is not None:
            assert domain is not None  # a sequence of items has a fixed kind
            return tuple((prefix + str(field_of(part, field)), domain, w)
                         for part in field_of(event, each))
        if kind_field is None:
            assert domain is not None
            return ((prefix + str(field_of(event, field)), domain, w),)
        kind = str(field_of(event, kind_field))
        dom = KIND_DOMAIN.get(kind)
        return () if dom is None else ((f"{kind}:{field_of(event, field)}", dom, w),)
    return touch


class Registry:
    """The tables derived from a set of declarations (each event type declared once)."""

    def __init__(self, specs: Iterable[EventSpec]) -> None:
        self.specs: dict[str, EventSpec] = {}
        for spec in specs:
            if spec.event_type in self.specs:
                raise ValueError(f"{spec.event_type} is declared twice")
            self.specs[spec.event_type] = spec
        specs = list(self.specs.values())
        self.classes: dict[str, type[Envelope]] = {s.event_type: s.schema for s in specs}
        self.types: frozenset[str] = frozenset(self.classes)
        self.domains: tuple[EventDomain, ...] = tuple(dict.fromkeys(s.domain for s in specs))
        self.domain_of: dict[str, EventDomain] = {s.event_type: s.domain for s in specs}
        self.key_field: dict[str, str] = {s.event_type: s.key for s in specs if s.key}
        self.publisher: dict[str, str] = {s.event_type: s.publisher for s in specs}
        self.item: dict[str, ItemRef] = {s.event_type: s.item for s in specs if s.item}
        self.interactions: dict[str, Interaction] = {
            s.event_type: s.interaction for s in specs if s.interaction}
        self.touch: dict[str, Toucher] = {
            s.event_type: toucher(s.item, s.interaction) for s in specs
            if s.item and s.interaction}
        self.weights: dict[str, float] = {t: i.weight for t, i in self.interactions.items()}
        self.excluding: frozenset[str] = frozenset(
            t for t, i in self.interactions.items() if i.excludes)
        self.funnel: dict[str, str] = {s.event_type: s.funnel for s in specs if s.funnel}
        self.session_counter: dict[str, str] = {
            s.event_type: s.session_counter for s in specs if s.session_counter}
        self.counter: dict[str, str] = {s.event_type: s.counter for s in specs if s.counter}
        union: Any = Annotated[reduce(operator.or_, self.classes.values()),
                               Field(discriminator="event_type")]
        self._adapter: TypeAdapter[Any] = TypeAdapter(union)

    def extended(self, *specs: EventSpec) -> Registry:
        """This registry with more event types."""
        return Registry([*self.specs.values(), *specs])

    def counters(self, domain: EventDomain) -> dict[str, str]:
        """Event type -> the approximate counter it feeds, for one domain's types."""
        return {t: c for t, c in self.counter.items() if self.domain_of[t] is domain}

    def item_of(self, event: Any) -> str | None:
        """The one `<kind>:<id>` item an event is about, or None (none, or several: an
        order's lines)."""
        ref = self.item.get(field_of(event, "event_type"))
        if ref is None or ref.each is not None:
            return None
        kind = ref.kind if ref.kind_field is None else field_of(event, ref.kind_field)
        return f"{kind}:{field_of(event, ref.field)}"

    def parse(self, raw: bytes | str | dict[str, Any], *, now: datetime | None = None,
              max_ahead_s: float = MAX_AHEAD_S) -> Envelope:
        """Validate one event from JSON bytes/text or a decoded dict; raise `EventError`.

        `occurred_at` may be at most `max_ahead_s` ahead of `now` (this process's clock by
        default): see the bounds in contracts/envelope.py."""
        context = (None if now is None and max_ahead_s == MAX_AHEAD_S
                   else window_context(now=now, max_ahead_s=max_ahead_s))
        try:
            if isinstance(raw, dict):
                return self._adapter.validate_python(raw, context=context)
            return self._adapter.validate_json(raw, context=context)
        except ValidationError as exc:
            raise first_error(exc, self.types) from None


EVENTS = Registry([*commerce.SPECS, *community.SPECS, *podcast.SPECS, *identity.SPECS,
                   *recommendation.SPECS])


def item_of(event: Any) -> str | None:
    """The one item an event of the catalog is about, or None (`Registry.item_of`)."""
    return EVENTS.item_of(event)

__all__ = ["EVENTS", "Registry", "Touch", "Toucher", "field_of", "item_of", "toucher"]
