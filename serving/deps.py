"""Dependencies shared by the routers, as annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from agora.settings import ServingSettings
from features.online import OnlineStore


def _settings(request: Request) -> ServingSettings:
    return request.app.state.settings


def _store(request: Request) -> OnlineStore:
    return request.app.state.store


SettingsDep = Annotated[ServingSettings, Depends(_settings)]
StoreDep = Annotated[OnlineStore, Depends(_store)]
