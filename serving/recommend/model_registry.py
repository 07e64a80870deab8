"""Models from the registry: load `models:/NAME@champion` (and `@challenger`), follow the aliases.

A poll re-reads the aliases; a changed version is loaded in a worker thread beside the one in
service, then the snapshot is replaced in one assignment, so requests never see a half-loaded
model and none fails during a swap. An alias that disappears takes its model out of service
(requests fall back to popular items); a version that fails to load leaves the old one serving.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from agora.alembic_lock import ALEMBIC_LOCK
from serving.recommend.served import ServableModel, ServedModel, popular_by_domain

log = logging.getLogger(__name__)



class Alias(StrEnum):
    """The registry aliases serving follows; the one that served a list is its A/B variant."""

    champion = "champion"
    challenger = "challenger"


CHAMPION = Alias.champion
CHALLENGER = Alias.challenger
ALIASES = tuple(Alias)


class ModelMissing(LookupError):
    """The alias (or the registered model) does not exist."""


class ModelSource(Protocol):
    """Where versions come from. Calls block; the registry runs them in a thread."""

    name: str

    def version_of(self, alias: str) -> str:
        """The version the alias points to; `ModelMissing` when there is none."""
        ...

    def load(self, version: str) -> ServableModel: ...


class MlflowModelSource:
    """The MLflow model registry; a version's artifacts hold a `models/` save folder."""

    def __init__(self, *, tracking_uri: str, name: str) -> None:
        self.tracking_uri = tracking_uri
        self.name = name

    def _client(self):  # type: ignore[no-untyped-def]
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def version_of(self, alias: str) -> str:
        from mlflow.exceptions import MlflowException

        try:
            with ALEMBIC_LOCK:  # the first call may migrate MLflow's database
                return str(self._client().get_model_version_by_alias(self.name, alias).version)
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise ModelMissing(f"{self.name}@{alias}") from None
            raise

    def load(self, version: str) -> ServableModel:
        import mlflow.artifacts

        from models.catalog import load as load_model

        with tempfile.TemporaryDirectory(prefix="agora-model-") as tmp, ALEMBIC_LOCK:
            # A `models:/` URI resolves through MLflow's process-wide URIs, not the ones
            # passed below: without these it looked in (and created) ./mlflow.db.
            mlflow.set_tracking_uri(self.tracking_uri)
            mlflow.set_registry_uri(self.tracking_uri)
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{self.name}/{version}", dst_path=tmp,
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            return load_model(model_folder(Path(path)))


def model_folder(root: Path) -> Path:
    """The outermost folder holding a `model.json` (a hybrid nests its components deeper)."""
    found = sorted(root.rglob("model.json"), key=lambda p: len(p.parts))
    if not found:
        raise FileNotFoundError(f"no model.json under {root}")
    return found[0].parent


@dataclass(frozen=True)
class Served:
    """What requests read: one immutable snapshot of the models in service."""

    champion: ServedModel | None = None
    challenger: ServedModel | None = None


class ModelRegistry:
    def __init__(self, *, source: ModelSource, poll_s: float,
                 on_change: Callable[[Served], None] | None = None) -> None:
        self._source = source
        self._poll_s = poll_s
        self._on_change = on_change
        self.current = Served()
        self.status: dict[str, str] = {alias: "not loaded yet" for alias in ALIASES}
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        """One poll: re-read both aliases, load what changed, swap once."""
        loaded: dict[str, ServedModel | None] = {}
        for alias in ALIASES:
            loaded[alias] = await self._follow(alias, loaded)
        new = Served(champion=loaded[CHAMPION], challenger=loaded[CHALLENGER])
        if new != self.current:
            self.current = new  # the atomic swap
            # Keep the loaded models (and everything else alive now) out of the collector's
            # full passes: scanning them paused the loop for ~150 ms, the whole p99 budget.
            gc.freeze()
            log.info("models in service: champion=%s challenger=%s",
                     new.champion.label if new.champion else None,
                     new.challenger.label if new.challenger else None)
            if self._on_change is not None:
                self._on_change(new)

    async def _follow(self, alias: str, loaded: dict[str, ServedModel | None]
                      ) -> ServedModel | None:
        old: ServedModel | None = getattr(self.current, alias)
        try:
            version = await asyncio.to_thread(self._source.version_of, alias)
        except ModelMissing:
            self.status[alias] = "missing"
            return None
        except Exception as exc:  # registry unreachable: keep serving what we have
            self.status[alias] = f"registry unavailable: {type(exc).__name__}"
            log.warning("cannot read alias %s: %s", alias, exc)
            return old
        reuse = [m for m in (old, *loaded.values()) if m is not None and m.version == version]
        if reuse:
            self.status[alias] = "ok"
            return reuse[0] if reuse[0].alias == alias else _realias(reuse[0], alias)
        try:
            model = await asyncio.to_thread(self._source.load, version)
            served = ServedModel(name=self._source.name, version=version, alias=alias,
                                 model=model, loaded_at=time.time(),
                                 popular=await asyncio.to_thread(popular_by_domain, model))
        except Exception as exc:
            self.status[alias] = f"version {version} failed to load: {type(exc).__name__}"
            log.exception("cannot load %s version %s", self._source.name, version)
            return old
        self.status[alias] = "ok"
        return served

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("model poll failed")
            await asyncio.sleep(self._poll_s)

    async def start(self) -> None:
        """First load in the background: the API serves fallbacks until a model is in."""
        self._task = asyncio.create_task(self.run(), name="model-registry-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _realias(model: ServedModel, alias: str) -> ServedModel:
    return ServedModel(name=model.name, version=model.version, alias=alias, model=model.model,
                       loaded_at=model.loaded_at, popular=model.popular)
