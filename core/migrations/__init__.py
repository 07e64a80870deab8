"""Alembic migrations of the core's schema; `agora db upgrade` runs them."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agora.alembic_lock import ALEMBIC_LOCK

HERE = Path(__file__).parent


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
