"""docker-compose.yml without Docker: it parses, every service is wired, every command is a
real `agora` sub-command, every AGORA_* variable a setting the process really reads, the MLflow
client and server agree, /data belongs to the image's user, Kafka's logs are on its volume,
every scraped endpoint binds an address Prometheus reaches, and nothing is open that should
not be."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version
from pydantic_settings import BaseSettings

import agora.settings as settings_module
from contracts.topics import TOPICS
from launch.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS_BY_COMMAND = {"worker": "WorkerSettings", "serve": "ServingSettings",
                       "relay": "RelaySettings", "db": "RelaySettings",
                       "trainer": "TrainerSettings"}
AGORA_SERVICES = [name for name, svc in SERVICES.items() if svc.get("image") == "agora:latest"]
ONE_SHOT = {"topics", "migrate"}
PROMETHEUS = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
# where each long-running command serves what Prometheus scrapes: (bind variable, port variable)
METRICS_ADDRESS = {"serve": ("AGORA_API_HOST", "AGORA_API_PORT"),
                   "worker": ("AGORA_WORKER_WEB_BIND", "AGORA_WORKER_WEB_PORT"),
                   "relay": ("AGORA_RELAY_METRICS_BIND", "AGORA_RELAY_METRICS_PORT"),
                   "trainer": ("AGORA_TRAINER_METRICS_BIND", "AGORA_TRAINER_METRICS_PORT")}


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


@pytest.mark.parametrize("name", AGORA_SERVICES)
def test_every_command_is_a_real_subcommand(name: str) -> None:
    command = SERVICES[name]["command"]
    build_parser().parse_args(command)  # exits (SystemExit) on an unknown command or flag


def _scrape_targets() -> dict[str, set[int]]:
    targets: dict[str, set[int]] = {}
    for job in PROMETHEUS["scrape_configs"]:
        for group in job["static_configs"]:
            for target in group["targets"]:
                host, port = target.rsplit(":", 1)
                targets.setdefault(host, set()).add(int(port))
    return targets


def test_prometheus_scrapes_every_long_running_agora_process() -> None:
    targets = _scrape_targets()
    for name in AGORA_SERVICES:
        if name not in ONE_SHOT:
            assert name in targets, f"Prometheus does not scrape {name}"
    assert {h for h in targets if h != "localhost"} <= set(SERVICES)
    workers = [n for n in AGORA_SERVICES if SERVICES[n]["command"] == ["worker"]]
    assert len(workers) >= 2, "a second worker takes over the partitions of a failed one"


def test_every_metrics_endpoint_binds_an_address_prometheus_reaches() -> None:
    for host, ports in _scrape_targets().items():
        if host == "localhost":
            continue
        service = SERVICES[host]
        bind_var, port_var = METRICS_ADDRESS[service["command"][0]]
        env = service["environment"]
        # the settings default to 127.0.0.1 (local runs): compose must say 0.0.0.0
        assert env.get(bind_var) == "0.0.0.0", f"{host} serves /metrics on loopback only"
        assert ports == {int(env[port_var])}, f"{host} listens on {env[port_var]}, not {ports}"
        opened = [str(p).rsplit(":", 1)[-1] for p in (*service.get("expose", []),
                                                       *service.get("ports", []))]
        assert str(env[port_var]) in opened, f"{host} does not expose {env[port_var]}"


def test_analytics_scrape_reads_its_key_from_the_mounted_secret() -> None:
    job = next(j for j in PROMETHEUS["scrape_configs"] if j["job_name"] == "agora-analytics")
    targets = [s.get("target") for s in SERVICES["prometheus"]["secrets"]]
    assert job["authorization"]["credentials_file"] in targets
    assert SERVICES["api"]["environment"]["AGORA_ANALYTICS_PUBLIC"] == "false"


def _major(text: str) -> int:
    return Version(text).major


def test_mlflow_client_and_server_versions_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client = next(Requirement(r) for r in project["dependencies"]
                  if Requirement(r).name == "mlflow-skinny")
    server = next(Requirement(r) for r in project["optional-dependencies"]["stack"]
                  if Requirement(r).name == "mlflow")
    image = re.search(r"mlflow==([\d.]+)", (ROOT / "deploy/mlflow/Dockerfile").read_text())
    assert image, "deploy/mlflow/Dockerfile pins no mlflow version"
    installed = version("mlflow-skinny")
    assert client.specifier.contains(installed)
    assert client.specifier.contains(image.group(1)), "the compose server is another major"
    assert server.specifier.contains(image.group(1))
    assert _major(image.group(1)) == _major(installed)
    assert "mlflow server" in SERVICES["mlflow"]["command"]


def test_mlflow_and_the_core_have_separate_databases() -> None:
    core = {SERVICES[n]["environment"]["AGORA_DATABASE_URL"].rsplit("/", 1)[1]
            for n in AGORA_SERVICES if "AGORA_DATABASE_URL" in SERVICES[n]["environment"]}
    mlflow = re.search(r"--backend-store-uri \S+/(\w+)\s", SERVICES["mlflow"]["command"])
    assert mlflow and core == {"agora"} and mlflow.group(1) != "agora"
    init = (ROOT / "deploy/postgres/init-databases.sql").read_text()
    assert f"CREATE DATABASE {mlflow.group(1)}" in init


def test_data_belongs_to_the_image_user() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    user = next(line.split()[1] for line in reversed(lines) if line.startswith("USER "))
    assert user not in {"root", "0"}
    text = "\n".join(lines)
    chown = re.search(r"chown (?:-R )?(\S+?)(?::\S+)? /data\b", text)
    assert chown and chown.group(1) == user, "/data is not chowned to the USER that runs"
    assert text.index("chown") < text.index(f"USER {user}")
    assert "AGORA_DATA_DIR=/data" in text
    for name in AGORA_SERVICES:
        for volume in SERVICES[name].get("volumes", []):
            assert volume.split(":")[1].startswith("/data/"), "volumes mount below /data"


def test_kafka_log_dir_is_on_its_volume() -> None:
    kafka = SERVICES["kafka"]
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = [v.split(":")[1] for v in kafka["volumes"]]
    assert all(any(d.startswith(m) for m in mounts) for d in log_dirs.split(","))


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, svc in SERVICES.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in svc, f"{name} has no healthcheck"


def test_only_the_api_and_grafana_are_published() -> None:
    published = {name for name, svc in SERVICES.items() if svc.get("ports")}
    assert published == {"api", "grafana"}


def test_grafana_has_no_default_password_nor_anonymous_viewers() -> None:
    env = SERVICES["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    example = (ROOT / ".env.example").read_text()
    for variable in ("POSTGRES_PASSWORD", "AGORA_ADMIN_API_KEY", "GRAFANA_ADMIN_PASSWORD"):
        assert f"{variable}=" in example
