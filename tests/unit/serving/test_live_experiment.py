"""The live A/B test end to end below HTTP: the worker's arms in an embedded store, a real
MLflow registry's aliases, the decision and an idempotent promotion."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from mlflow import MlflowClient

from features.online import open_store
from serving.analytics.experiment import LiveExperiment, RegistryAliases
from serving.recommend.experiments import SequentialTest
from serving.recommend.model_registry import MlflowModelSource, ModelRegistry
from serving.recommend.served import ServableModel
from tests.unit.agents.test_recommendation_feedback import START, click_stream, consume

NAME = "agora-recommender"


class LoadedSource(MlflowModelSource):
    """The real registry's aliases; every version loads the test's model (no artifacts)."""

    def __init__(self, *, tracking_uri: str, model: ServableModel) -> None:
        super().__init__(tracking_uri=tracking_uri, name=NAME)
        self.model = model

    def load(self, version: str) -> ServableModel:
        return self.model


@pytest.fixture
def mlflow_uri(tmp_path: Path) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(NAME)
    for _ in range(2):
        client.create_model_version(NAME, source=str(tmp_path))
    client.set_registered_model_alias(NAME, "champion", "1")
    client.set_registered_model_alias(NAME, "challenger", "2")
    return uri


def aliases(uri: str) -> dict[str, str]:
    found = MlflowClient(tracking_uri=uri, registry_uri=uri).get_registered_model(NAME).aliases
    return {alias: str(version) for alias, version in found.items()}


@pytest.mark.parametrize("auto", [True, False])
def test_a_winning_challenger_is_promoted_once_when_enabled(
        tmp_path: Path, mlflow_uri: str, knn_model: ServableModel, auto: bool) -> None:
    async def run() -> None:
        store = open_store(str(tmp_path / "online.db"))
        await consume(store, click_stream({"champion": 0.10, "challenger": 0.14}, 6000, seed=5))
        registry = ModelRegistry(source=LoadedSource(tracking_uri=mlflow_uri, model=knn_model),
                                 poll_s=3600)
        await registry.refresh()
        assert registry.current.challenger is not None
        promote = RegistryAliases(tracking_uri=mlflow_uri, name=NAME)
        live = LiveExperiment(store=store, registry=registry, rule=SequentialTest(),
                              aliases=promote, auto_promote=auto)
        now = (START + timedelta(hours=2)).timestamp()
        first = await live.read(now)
        assert first["decision"]["status"] == "won"
        assert first["champion"]["served"] == first["challenger"]["served"] == 6000
        ci = first["challenger"]["ctr_interval"]
        assert ci["low"] < first["challenger"]["ctr"] < ci["high"]
        if not auto:
            assert aliases(mlflow_uri) == {"champion": "1", "challenger": "2"}
            assert first["promoted"] is None
            return
        assert aliases(mlflow_uri) == {"champion": "2"}
        assert first["promoted"]["model"] == f"{NAME}@2"
        assert registry.current.champion is not None
        assert registry.current.champion.version == "2" and registry.current.challenger is None
        again = await live.read(now)  # the experiment is over; nothing moves twice
        assert again["decision"]["status"] == "no_experiment"
        assert promote.promote("2") is False  # idempotent
        assert aliases(mlflow_uri) == {"champion": "2"}
        await store.close()

    asyncio.run(run())


def test_equal_arms_keep_running_and_promote_nothing(
        tmp_path: Path, mlflow_uri: str, knn_model: ServableModel) -> None:
    async def run() -> None:
        store = open_store(str(tmp_path / "online.db"))
        await consume(store, click_stream({"champion": 0.10, "challenger": 0.10}, 6000, seed=4))
        registry = ModelRegistry(source=LoadedSource(tracking_uri=mlflow_uri, model=knn_model),
                                 poll_s=3600)
        await registry.refresh()
        live = LiveExperiment(store=store, registry=registry, rule=SequentialTest(),
                              aliases=RegistryAliases(tracking_uri=mlflow_uri, name=NAME),
                              auto_promote=True)
        out = await live.read((START + timedelta(hours=2)).timestamp())
        assert out["decision"]["status"] == "running"
        assert aliases(mlflow_uri) == {"champion": "1", "challenger": "2"}
        await store.close()

    asyncio.run(run())
