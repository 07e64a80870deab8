"""Alembic environment: the URL comes from `core.migrations.upgrade` (or -x url=...)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from core.adapters.database import create_database_engine, is_sqlite
from core.adapters.tables import metadata

config = context.config
url = config.attributes.get("database_url") or context.get_x_argument(as_dictionary=True)["url"]


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True,
                          render_as_batch=is_sqlite(url))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_database_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=is_sqlite(url))
        with context.begin_transaction():
            if not is_sqlite(url):  # one migrator at a time; released at commit
                connection.execute(text("SELECT pg_advisory_xact_lock(7234010)"))
            context.run_migrations()
    engine.dispose()


run()
