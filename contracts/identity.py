"""Identity events: registration and profile changes (at most 100 field names)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id

MAX_FIELDS = 100


class UserRegistered(Envelope):
    event_type: Literal["user_registered"] = "user_registered"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    channel: Id


class UserProfileUpdated(Envelope):
    event_type: Literal["user_profile_updated"] = "user_profile_updated"
    fields: Annotated[tuple[Id, ...], Field(max_length=MAX_FIELDS)]
