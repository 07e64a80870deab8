"""Engines: PostgreSQL with a connection pool, or SQLite tuned for one writer at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# serialization failure, deadlock: a concurrent transaction, not an outage
_CONCURRENCY = ("40001", "40P01")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres_psycopg(url: str) -> bool:
    """PostgreSQL through psycopg: the order path can take the async driver."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg"


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached now (down, restarting, connection
    dropped, pool exhausted) rather than that a statement is wrong: retry later, not a bug."""
    if isinstance(exc, PoolTimeout | DisconnectionError | InterfaceError | psycopg.InterfaceError):
        return True
    if isinstance(exc, psycopg.OperationalError):  # the async order path's driver, directly
        return exc.sqlstate not in _CONCURRENCY
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        return getattr(exc.orig, "sqlstate", None) not in _CONCURRENCY
    return False


def create_database_engine(url: str, *, pool_size: int = 20) -> Engine:
    """An engine for `url`; nothing connects until first use."""
    if not is_sqlite(url):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                             pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # Take the write lock up front: SQLite's equivalent of SELECT ... FOR UPDATE.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
