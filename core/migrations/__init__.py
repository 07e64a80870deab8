"""Alembic migrations of the core's schema; `agora db upgrade` runs them."""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).parent
# Alembic keeps its migration context in module globals, so two migrations in one process
# must never interleave: ours, or MLflow's when it first opens a SQLite store (MLflow
# migrates its own schema with Alembic). Whoever may trigger one holds this lock.
ALEMBIC_LOCK = threading.RLock()


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision`.

    Safe when several processes start at once (an API and a relay on one embedded file):
    an SQLite file is migrated under a lock file beside it; PostgreSQL takes an advisory
    lock in env.py.
    """
    from alembic import command

    with ALEMBIC_LOCK, _file_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)  # type: ignore[arg-type]


@contextmanager
def _file_lock(database_url: str) -> Iterator[None]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    lock = Path(url.database).with_suffix(".migrate.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
