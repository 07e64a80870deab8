"""Identity handlers: users and API keys."""

from __future__ import annotations

from core.domain.errors import Conflict
from core.domain.identity import ApiKey, User
from core.service_layer import commands, views
from core.service_layer.unit_of_work import UnitOfWork


def register_user(cmd: commands.RegisterUser, uow: UnitOfWork) -> views.View:
    if uow.users.get(cmd.user_id) is not None:
        raise Conflict(f"user {cmd.user_id!r} exists", field="user_id")
    user = User(user_id=cmd.user_id, email=cmd.email, country=cmd.country, channel=cmd.channel,
                roles=cmd.roles)
    uow.users.add(user)
    return {"user_id": user.user_id, "roles": list(user.roles)}


def issue_api_key(cmd: commands.IssueApiKey, uow: UnitOfWork) -> views.View:
    """The raw key is in this result only; the database keeps its hash."""
    key, raw = ApiKey.issue(name=cmd.name, scopes=cmd.scopes)
    uow.api_keys.add(key)
    return {"key_id": key.key_id, "name": key.name, "scopes": list(key.scopes), "key": raw}
