"""docker-compose.yml: parses, every service is wired, and every AGORA_* variable it sets is
a setting the process it configures really reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

import agora.settings as settings_module
from contracts.topics import TOPICS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS_BY_COMMAND = {"worker": "WorkerSettings", "serve": "ServingSettings",
                       "relay": "RelaySettings", "db": "RelaySettings"}
AGORA_SERVICES = [name for name, svc in SERVICES.items() if svc.get("image") == "agora:latest"]


def env_names(settings_cls: type[BaseSettings]) -> set[str]:
    return {f"AGORA_{name.upper()}" for name in settings_cls.model_fields}


def test_production_services_are_all_there() -> None:
    assert {"kafka", "postgres", "redis", "mlflow", "worker", "api", "relay", "prometheus",
            "grafana"} <= set(SERVICES)
    assert SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"


@pytest.mark.parametrize("name", AGORA_SERVICES)
def test_agora_variables_match_the_settings_read(name: str) -> None:
    service = SERVICES[name]
    settings_cls = getattr(settings_module, SETTINGS_BY_COMMAND[service["command"][0]])
    env = service.get("environment", {})
    unknown = {k for k in env if k.startswith("AGORA_")} - env_names(settings_cls)
    assert not unknown, f"{name} sets variables {settings_cls.__name__} does not read"
    settings_cls(**{k.removeprefix("AGORA_").lower(): v for k, v in env.items()
                    if "${" not in v})  # the values parse as the types the code expects


@pytest.mark.parametrize("name", AGORA_SERVICES)
def test_agora_services_reach_real_servers(name: str) -> None:
    env = SERVICES[name].get("environment", {})
    for value in env.values():
        for host in re.findall(r"(?:://|^)(?:[^@/]+@)?([a-z][a-z0-9-]*):\d+", str(value)):
            assert host in SERVICES, f"{name} points at {host}, which is not a service"
    if SERVICES[name]["command"][0] in {"worker", "serve"}:
        assert env["AGORA_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env["AGORA_REDIS_URL"].startswith("redis://redis:")


def test_dependencies_and_mounts_exist() -> None:
    for name, svc in SERVICES.items():
        deps = svc.get("depends_on", [])
        for dep in deps if isinstance(deps, list) else deps.keys():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_topics_service_creates_every_topic() -> None:
    script = SERVICES["topics"]["command"][0]
    for topic in TOPICS:
        assert topic in script
