"""Identity events: registration and profile changes (at most 100 field names)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.declaration import FACTS, STOREFRONT, EventDomain, EventSpec
from contracts.envelope import Envelope, Id

MAX_FIELDS = 100
IDENTITY = EventDomain.identity


class UserRegistered(Envelope):
    event_type: Literal["user_registered"] = "user_registered"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    channel: Id


USER_REGISTERED = EventSpec(
    schema=UserRegistered, domain=IDENTITY, key=None, publisher=FACTS,
    counter="registrations")


class UserProfileUpdated(Envelope):
    event_type: Literal["user_profile_updated"] = "user_profile_updated"
    fields: Annotated[tuple[Id, ...], Field(max_length=MAX_FIELDS)]


USER_PROFILE_UPDATED = EventSpec(
    schema=UserProfileUpdated, domain=IDENTITY, key=None, publisher=STOREFRONT,
    counter="profile_updates")

SPECS = (USER_REGISTERED, USER_PROFILE_UPDATED)
