"""Admin: which models are in service, and a reload of the registry aliases now."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from serving.deps import RegistryDep, SettingsDep
from serving.edge.auth import require_scope
from serving.recommend.model_registry import ALIASES, Alias, ModelRegistry
from serving.recommend.served import ServedModel

router = APIRouter(prefix="/v1/models", tags=["models"],
                   dependencies=[Depends(require_scope("admin"))])


class ModelInService(BaseModel):
    alias: Alias
    name: str | None
    version: str | None
    loaded_at: datetime | None
    status: str


class ModelsInService(BaseModel):
    registered_name: str
    challenger_share: float
    models: list[ModelInService]


def _describe(registry: ModelRegistry, name: str, share: float) -> ModelsInService:
    current = registry.current
    rows = []
    for alias in ALIASES:
        rows.append(_row(alias, getattr(current, alias), registry.status.get(alias, "unknown")))
    return ModelsInService(registered_name=name, challenger_share=share, models=rows)


def _row(alias: Alias, served: ServedModel | None, status: str) -> ModelInService:
    if served is None:
        return ModelInService(alias=alias, name=None, version=None, loaded_at=None,
                              status=status)
    return ModelInService(alias=alias, name=served.name, version=served.version,
                          loaded_at=datetime.fromtimestamp(served.loaded_at, UTC), status=status)


@router.get("", response_model=ModelsInService)
async def models_in_service(registry: RegistryDep, settings: SettingsDep) -> ModelsInService:
    return _describe(registry, settings.model_name, settings.challenger_share)


@router.post("/reload", response_model=ModelsInService)
async def reload_models(registry: RegistryDep, settings: SettingsDep) -> ModelsInService:
    """Re-read the aliases now instead of at the next poll."""
    await registry.refresh()
    return _describe(registry, settings.model_name, settings.challenger_share)
