"""Each setting is declared in one class: processes that must agree on it share that class."""

from __future__ import annotations

import inspect
from collections import defaultdict

from pydantic_settings import BaseSettings

import agora.settings as settings_module
from agora.settings import (
    LaunchSettings,
    RegistrySettings,
    ServingSettings,
    StreamSettings,
    TrainerSettings,
    WorkerSettings,
)

CLASSES = [cls for _, cls in inspect.getmembers(settings_module, inspect.isclass)
           if issubclass(cls, BaseSettings) and cls.__module__ == settings_module.__name__]


def test_every_setting_is_declared_once() -> None:
    declared: dict[str, list[str]] = defaultdict(list)
    for cls in CLASSES:
        for name in cls.__annotations__:
            if name in cls.model_fields:
                declared[name].append(cls.__name__)
    twice = {name: owners for name, owners in declared.items() if len(owners) > 1}
    assert not twice, twice


def test_the_worker_and_the_api_read_the_stream_settings_alike(monkeypatch) -> None:
    monkeypatch.setenv("AGORA_TRENDING_HALF_LIFE_S", "120")
    monkeypatch.setenv("AGORA_WORKER_APP_ID", "agora-blue")
    for cls in (WorkerSettings, ServingSettings):
        assert issubclass(cls, StreamSettings)
        s = cls()
        assert (s.trending_half_life_s, s.worker_app_id) == (120.0, "agora-blue")


def test_the_trainer_and_the_api_follow_one_registry(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("AGORA_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("AGORA_DATA_DIR", str(tmp_path))
    for cls in (TrainerSettings, ServingSettings):
        assert issubclass(cls, RegistrySettings)
        assert cls().mlflow_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"


def test_the_launcher_provides_what_the_environment_does_not_give(monkeypatch, tmp_path) -> None:
    for name in ("AGORA_KAFKA_BOOTSTRAP", "AGORA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    s = LaunchSettings(data_dir=tmp_path)
    assert s.given("kafka_bootstrap") is None and s.given("database_url") is None
    assert s.database_url == f"sqlite:///{tmp_path / 'core.db'}"  # the processes' default
    monkeypatch.setenv("AGORA_KAFKA_BOOTSTRAP", "broker:9092")
    monkeypatch.setenv("AGORA_DATABASE_URL", "postgresql+psycopg://db/agora")
    s = LaunchSettings()
    assert s.given("kafka_bootstrap") == "broker:9092"
    assert s.given("database_url") == "postgresql+psycopg://db/agora"
