"""`agora stack`: the production topology of docker-compose.yml, as processes on this machine.

The broker (or the Kafka in `AGORA_KAFKA_BOOTSTRAP`), two PostgreSQL databases made for this
run on the server in `AGORA_STACK_POSTGRES_URL` (core and MLflow, dropped at the end; or the
given `AGORA_DATABASE_URL` and `AGORA_STACK_MLFLOW_DATABASE_URL`), a Redis of its own (or
`AGORA_REDIS_URL`; with `--redis-cluster` the online store on a three-master Redis Cluster of
its own and the rate limits on the Redis), an `mlflow server`, N workers in one group, N API
replicas behind HAProxy, the relay, the trainer and Prometheus scraping them all with
deploy/prometheus/alerts.yml.
Same commands and settings as compose; only the addresses differ. Ctrl-C stops everything.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agora.settings import LaunchSettings
from launch.broker import free_port
from launch.children import Children, die_with_parent, http_ok
from launch.demo import health_datasets
from launch.signals import stop_on_signals
from launch.stack_config import haproxy_config, prometheus_config

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = ("{tool} is not installed: `make system-deps` (as root) or "
                "`apt-get install haproxy prometheus` installs it")
# the stopping order: traffic and consumers first, the stores and the broker last
ESSENTIAL = ("broker", "redis", "mlflow", "haproxy", "prometheus")


@dataclass(kw_only=True)
class StackOptions:
    workers: int = 2
    apis: int = 2
    lb_port: int = 0  # 0: a free port
    simulate_rate: float = 20.0
    train_interval_s: float = 300.0
    train_min_new_events: int = 2000
    keep: bool = False  # keep the databases and the run folder
    redis_cluster: bool = False  # the online store on a local three-master Redis Cluster


@dataclass(kw_only=True)
class Stack:
    options: StackOptions
    settings: LaunchSettings = field(default_factory=LaunchSettings)
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    children: Children = field(default_factory=Children)
    folder: Path = field(init=False)
    env: dict[str, str] = field(init=False)
    addresses: dict[str, str] = field(default_factory=dict)
    scrape: dict[str, list[str]] = field(default_factory=dict)
    _made_databases: list[str] = field(default_factory=list)
    _admin_url: str = ""

    def __post_init__(self) -> None:
        base = self.settings.data_dir.resolve()
        self.folder = base / f"stack-{self.run_id}"
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)

    # -- processes -------------------------------------------------------------------------
    def _log(self, name: str) -> int:
        return os.open(self.folder / "logs" / f"{name}.log",
                       os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def agora(self, name: str, args: list[str], env: dict[str, str] | None = None,
              *, one_shot: bool = False) -> subprocess.Popen[bytes]:
        return self.run(name, [sys.executable, "-m", "launch.cli", *args], env, one_shot=one_shot)

    def run(self, name: str, argv: list[str], env: dict[str, str] | None = None,
            *, one_shot: bool = False) -> subprocess.Popen[bytes]:
        log = self._log(name)
        try:
            return self.children.spawn(name, argv, env or self.env, stdout=log, stderr=log,
                                       cwd=self.folder, one_shot=one_shot)
        finally:
            os.close(log)

    def wait_http(self, url: str, what: str, timeout_s: float = 90.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if http_ok(url):
                return
            for name, proc in self.children.procs:
                if name == what and proc.poll() is not None:
                    raise RuntimeError(f"{what} exited during start-up; see "
                                       f"{self.folder / 'logs' / what}.log")
            time.sleep(0.3)
        raise TimeoutError(f"{what} did not answer {url} within {timeout_s:.0f}s")

    # -- parts -----------------------------------------------------------------------------
    def start(self) -> None:
        given = self.settings.admin_api_key
        key = given.get_secret_value() if given else f"stack-{secrets.token_urlsafe(24)}"
        (self.folder / "ops_api_key").write_text(key)
        self.env = {"AGORA_LAKE_FLUSH_S": "10", **os.environ, "PYTHONUNBUFFERED": "1",
                    "AGORA_DATA_DIR": str(self.folder),
                    "AGORA_LAKE_PATH": str(self.folder / "lake"), "AGORA_ADMIN_API_KEY": key,
                    "AGORA_ANALYTICS_PUBLIC": "false", "AGORA_MODEL_POLL_S": "2"}
        self.addresses["admin key"] = key
        self._broker()
        self._redis()
        core_url, mlflow_url = self._databases()
        self.env["AGORA_DATABASE_URL"] = core_url
        migrate = self.agora("migrate", ["db", "upgrade"], one_shot=True)
        if migrate.wait(120) != 0:
            raise RuntimeError(f"migrations failed; see {self.folder}/logs/migrate.log")
        self._mlflow(mlflow_url)
        self._workers_and_apis()
        self._haproxy()
        port = free_port()
        self.agora("relay", ["relay"], {**self.env, "AGORA_RELAY_METRICS_PORT": str(port)})
        self.scrape["agora-relay"] = [f"127.0.0.1:{port}"]
        self._trainer()
        self._prometheus()
        if self.options.simulate_rate > 0:
            self.agora("simulator", ["simulate", "--rate", str(self.options.simulate_rate),
                                     "--duration", "0"])

    def _broker(self) -> None:
        outside = self.settings.given("kafka_bootstrap")
        if outside:
            self.env["AGORA_KAFKA_BOOTSTRAP"] = self.addresses["broker"] = outside
            return
        port = free_port()
        proc = self.children.spawn("broker", [sys.executable, "-m", "launch.cli", "broker",
                                              "--port", str(port)], self.env,
                                   stdout=subprocess.PIPE, cwd=self.folder)
        assert proc.stdout is not None
        if not proc.stdout.readline().startswith(b"broker:"):
            raise RuntimeError("the broker exited during start-up")
        self.env["AGORA_KAFKA_BOOTSTRAP"] = self.addresses["broker"] = f"127.0.0.1:{port}"

    def _redis(self) -> None:
        outside = self.settings.redis_url
        if outside:
            self.env["AGORA_REDIS_URL"] = self.addresses["redis"] = outside
            return
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server), "
                               "or set AGORA_REDIS_URL")
        port = free_port()
        self.run("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no"])
        url = f"redis://127.0.0.1:{port}/0"
        import redis

        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.env["AGORA_REDIS_URL"] = self.addresses["redis"] = url
        if self.options.redis_cluster:
            self._redis_cluster(url)

    def _redis_cluster(self, single: str) -> None:
        """The online store on a cluster; the rate limits stay on the single Redis (the
        limits library's buckets are a workload of their own)."""
        from launch.redis_cluster import LocalRedisCluster

        cluster = LocalRedisCluster(folder=self.folder / "redis-cluster")
        cluster.start(spawn=lambda name, argv: self.run(name, argv))
        self.env["AGORA_RATE_LIMIT_REDIS_URL"] = single
        self.env["AGORA_REDIS_URL"] = self.addresses["redis cluster"] = cluster.url
        self.addresses["redis"] = f"{single} (rate limits)"

    def _databases(self) -> tuple[str, str]:
        core = self.settings.given("database_url")
        mlflow = self.settings.stack_mlflow_database_url
        admin = self.settings.stack_postgres_url
        self._admin_url = admin
        base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        if not core:
            core = f"{base}/{self._create_database(f'agora_core_{self.run_id}')}"
        if not mlflow:
            mlflow = f"{base}/{self._create_database(f'agora_mlflow_{self.run_id}')}"
        self.addresses["postgres"] = f"{core.rsplit('@', 1)[-1]} (core), " \
                                     f"{mlflow.rsplit('/', 1)[-1]} (mlflow)"
        return core, mlflow

    def _create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self._admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._made_databases.append(name)
        return name

    def _mlflow(self, database_url: str) -> None:
        port = free_port()
        mlflow = Path(sys.executable).with_name("mlflow")
        if not mlflow.exists():
            raise RuntimeError("the MLflow server is not installed: pip install -e '.[stack]'")
        self.run("mlflow", [str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port),
                            "--workers", "1", "--backend-store-uri", database_url,
                            "--artifacts-destination", str(self.folder / "mlartifacts"),
                            "--serve-artifacts"])
        url = f"http://127.0.0.1:{port}"
        self.wait_http(f"{url}/health", "mlflow", timeout_s=180)
        self.env["AGORA_MLFLOW_TRACKING_URI"] = self.addresses["mlflow"] = url

    def _workers_and_apis(self) -> None:
        self.scrape["agora-worker"], self.scrape["agora-api"] = [], []
        for i in range(1, self.options.workers + 1):
            port = free_port()
            self.agora(f"worker-{i}", ["worker", "--web-port", str(port)])
            self.scrape["agora-worker"].append(f"127.0.0.1:{port}")
        for i in range(1, self.options.apis + 1):
            port = free_port()
            self.agora(f"api-{i}", ["serve", "--port", str(port)])
            self.scrape["agora-api"].append(f"127.0.0.1:{port}")
            self.addresses[f"api-{i}"] = f"http://127.0.0.1:{port}"
        for i, target in enumerate(self.scrape["agora-api"], start=1):
            self.wait_http(f"http://{target}/healthz", f"api-{i}")
        self.scrape["agora-analytics"] = list(self.scrape["agora-api"])

    def _haproxy(self) -> None:
        port = self.options.lb_port or free_port()
        config = self.folder / "haproxy.cfg"
        config.write_text(haproxy_config(port=port, apis=self.scrape["agora-api"]))
        self.run("haproxy", [_tool("haproxy"), "-db", "-f", str(config)])
        self.addresses["lb"] = f"http://127.0.0.1:{port}"
        self.wait_http(f"{self.addresses['lb']}/healthz", "haproxy", timeout_s=20)

    def _trainer(self) -> None:
        port = free_port()
        env = {**self.env, "AGORA_TRAINER_METRICS_PORT": str(port),
               "AGORA_TRAINER_INTERVAL_S": str(self.options.train_interval_s),
               "AGORA_TRAINER_MIN_NEW_EVENTS": str(self.options.train_min_new_events),
               "AGORA_TRAINER_POLL_S": "2"}
        health = health_datasets(self.settings)
        if health is not None and "AGORA_TRAINER_HEALTH_DATA" not in env:
            env["AGORA_TRAINER_HEALTH_DATA"] = str(health)
        self.addresses["health data"] = env.get(
            "AGORA_TRAINER_HEALTH_DATA", "none found beside the project (set "
            "AGORA_TRAINER_HEALTH_DATA): /v1/health/assessments answers 503")
        self.agora("trainer", ["trainer"], env)
        self.scrape["agora-trainer"] = [f"127.0.0.1:{port}"]

    def _prometheus(self) -> None:
        port = free_port()
        shutil.copy(ROOT / "deploy" / "prometheus" / "alerts.yml", self.folder / "alerts.yml")
        config = self.folder / "prometheus.yml"
        config.write_text(prometheus_config(scrape=self.scrape, self_port=port,
                                            key_file=self.folder / "ops_api_key"))
        self.run("prometheus", [_tool("prometheus"), f"--config.file={config}",
                                f"--storage.tsdb.path={self.folder / 'tsdb'}",
                                f"--web.listen-address=127.0.0.1:{port}"])
        self.addresses["prometheus"] = f"http://127.0.0.1:{port}"
        self.wait_http(f"{self.addresses['prometheus']}/-/ready", "prometheus", timeout_s=60)

    # -- life ------------------------------------------------------------------------------
    def stop(self) -> None:
        self.children.stop_all()
        for _name, proc in self.children.procs:  # what a child left behind (server workers)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self.options.keep:
            return
        import psycopg

        for name in self._made_databases:
            with (contextlib.suppress(psycopg.Error),
                  psycopg.connect(self._admin_url, autocommit=True) as conn):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(INSTALL_HINT.format(tool=name))
    return found


def missing_tools() -> list[str]:
    return [t for t in ("haproxy", "prometheus") if shutil.which(t) is None]


def run_stack(options: StackOptions) -> int:
    die_with_parent()
    if missing := missing_tools():
        for tool in missing:
            print(f"stack: {INSTALL_HINT.format(tool=tool)}", file=sys.stderr, flush=True)
        return 2
    stop = stop_on_signals()
    stack = Stack(options=options)
    reported: set[str] = set()
    try:
        stack.start()
        for name, address in stack.addresses.items():
            print(f"{name}: {address}", flush=True)
        print(f"logs: {stack.folder / 'logs'}", flush=True)
        # which process is which, for an operator (or a test) who stops one by hand
        (stack.folder / "pids").write_text("".join(
            f"{name} {proc.pid}\n" for name, proc in stack.children.procs))
        print("stack: ready; Ctrl-C stops everything", flush=True)
        while not stop.is_set():
            for name, proc in stack.children.procs:
                if (name not in stack.children.one_shot and name not in reported
                        and proc.poll() is not None):
                    reported.add(name)  # replicas may die (and be killed): the rest serve on
                    print(f"stack: {name} exited with {proc.returncode}", file=sys.stderr,
                          flush=True)
                    if name in ESSENTIAL or name.startswith("redis-cluster-"):
                        stop.set()
            time.sleep(0.2)
        return 1 if any(n in ESSENTIAL or n.startswith("redis-cluster-") for n in reported) \
            else 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"stack: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
        print("stack: stopped", flush=True)
