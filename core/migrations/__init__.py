"""Alembic migrations of the core's schema; `agora db upgrade` runs them."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)  # type: ignore[arg-type]
