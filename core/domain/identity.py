"""Identity: users with roles, and API keys stored only as hashes, with scopes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from enum import StrEnum

from core.domain.aggregate import Aggregate
from core.domain.errors import InvalidInput
from core.domain.events import UserRegistered

ALL_SCOPES = "*"


class Role(StrEnum):
    customer = "customer"
    seller = "seller"
    moderator = "moderator"
    admin = "admin"


class User(Aggregate):
    def __init__(self, *, user_id: str, email: str, country: str, channel: str = "web",
                 roles: Iterable[Role] = (Role.customer,)) -> None:
        if "@" not in email:
            raise InvalidInput("email is not an address", field="email")
        self.user_id = user_id
        self.email = email
        self.roles = sorted({Role(r).value for r in roles})
        self.version = 1
        self.record(UserRegistered(user_id=user_id, country=country, channel=channel))


def hash_key(raw: str) -> str:
    """API keys are random with 256 bits, so a plain SHA-256 is enough (no password stretching)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey:
    """A stored API key: its hash, never the key itself."""

    def __init__(self, *, key_id: str, name: str, key_hash: str, scopes: Iterable[str]) -> None:
        self.key_id = key_id
        self.name = name
        self.key_hash = key_hash
        self.scopes = sorted(set(scopes))
        self.revoked = False

    @classmethod
    def issue(cls, *, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
        """A new key and its raw value, shown once to whoever asked for it."""
        raw = "agk_" + secrets.token_urlsafe(32)
        key = cls(key_id=secrets.token_hex(8), name=name, key_hash=hash_key(raw), scopes=scopes)
        return key, raw

    def allows(self, scope: str) -> bool:
        return not self.revoked and (ALL_SCOPES in self.scopes or scope in self.scopes)
