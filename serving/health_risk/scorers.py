"""Health risk models from the registry (`agora-health-<kind>@champion`) with their model cards.

Loaded in the background and re-read on each poll like the recommenders; the card's "Limits"
travel with every answer. Inputs are never logged: they are health data.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agora.alembic_lock import ALEMBIC_LOCK
from models.health.scorer import LinearRiskScorer

log = logging.getLogger(__name__)

KINDS = ("diabetes", "heart")


@dataclass(frozen=True, kw_only=True)
class HealthModel:
    kind: str
    name: str
    version: str
    scorer: LinearRiskScorer
    limits: tuple[str, ...]


def card_limits(card: str) -> tuple[str, ...]:
    """The bullet points under the card's `## Limits` heading."""
    _, _, rest = card.partition("## Limits")
    section = rest.split("\n## ", 1)[0]
    bullets: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.startswith("  ") and bullets:
            bullets[-1] += " " + line.strip()
    return tuple(bullets)


class MlflowHealthSource:
    def __init__(self, *, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri

    def version_of(self, kind: str) -> str | None:
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        try:
            with ALEMBIC_LOCK:  # opening the store may migrate MLflow's database
                client = MlflowClient(tracking_uri=self.tracking_uri,
                                      registry_uri=self.tracking_uri)
                return str(client.get_model_version_by_alias(f"agora-health-{kind}",
                                                             "champion").version)
        except MlflowException:
            return None

    def load(self, kind: str, version: str) -> HealthModel:
        import mlflow.artifacts
        from mlflow import MlflowClient

        name = f"agora-health-{kind}"
        with ALEMBIC_LOCK:
            client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
            run_id = client.get_model_version(name, version).run_id
        with tempfile.TemporaryDirectory(prefix="agora-health-") as tmp, ALEMBIC_LOCK:
            mlflow.set_tracking_uri(self.tracking_uri)  # `models:/` resolves through these
            mlflow.set_registry_uri(self.tracking_uri)
            root = Path(mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{version}", dst_path=f"{tmp}/model",
                tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri))
            scorer = LinearRiskScorer.load(next(root.rglob("scorer.json")))
            card = Path(mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path="report/model_card.md", dst_path=f"{tmp}/card",
                tracking_uri=self.tracking_uri)).read_text()
        return HealthModel(kind=kind, name=name, version=version, scorer=scorer,
                           limits=card_limits(card))


class HealthModels:
    """The health models in service, swapped whole when a champion alias moves."""

    def __init__(self, *, source: MlflowHealthSource, poll_s: float) -> None:
        self._source = source
        self._poll_s = poll_s
        self.current: dict[str, HealthModel] = {}
        self._task: asyncio.Task[None] | None = None

    async def refresh(self) -> None:
        loaded = dict(self.current)
        for kind in KINDS:
            try:
                version = await asyncio.to_thread(self._source.version_of, kind)
                if version is None:
                    loaded.pop(kind, None)
                elif kind not in loaded or loaded[kind].version != version:
                    loaded[kind] = await asyncio.to_thread(self._source.load, kind, version)
            except Exception as exc:  # keep what serves; never log inputs or outputs here
                log.warning("health model %s not refreshed: %s", kind, type(exc).__name__)
        self.current = loaded

    async def _run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._poll_s)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="health-models-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
