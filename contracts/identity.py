"""Identity events: registration and profile changes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.envelope import Envelope, Id


class UserRegistered(Envelope):
    event_type: Literal["user_registered"] = "user_registered"
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    channel: Id


class UserProfileUpdated(Envelope):
    event_type: Literal["user_profile_updated"] = "user_profile_updated"
    fields: tuple[Id, ...]
