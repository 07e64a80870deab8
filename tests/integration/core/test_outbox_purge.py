"""Sent outbox rows are purged after their retention; pending rows never are. And the
migrated schema is the one the code declares (so a purge has its index)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.adapters import outbox
from core.adapters.database import create_database_engine
from core.adapters.outbox import OutboxStore
from core.adapters.tables import metadata
from core.adapters.tables import outbox as outbox_table
from core.domain.events import InventoryAdjusted
from core.entrypoints.relay import Relay

pytestmark = pytest.mark.integration


def test_only_rows_sent_before_the_retention_go(core_database_url: str) -> None:
    engine = create_database_engine(core_database_url, pool_size=1)
    events = [InventoryAdjusted(product_id=f"p{n}", delta=1, reason="restock", on_hand=n)
              for n in range(30)]
    with engine.begin() as conn:
        outbox.write(conn, events)
        ids = list(conn.scalars(select(outbox_table.c.id).order_by(outbox_table.c.id)))
        now = datetime.now(UTC)
        conn.execute(update(outbox_table).where(outbox_table.c.id.in_(ids[:10]))
                     .values(sent_at=now - timedelta(days=8)))  # past the 7-day retention
        conn.execute(update(outbox_table).where(outbox_table.c.id.in_(ids[10:20]))
                     .values(sent_at=now - timedelta(days=1)))
    relay = Relay(store=OutboxStore(engine=engine, owner=uuid.uuid4().hex),
                  publisher_factory=lambda: None,  # type: ignore[arg-type,return-value]
                  retention_s=7 * 86_400.0)
    relay.store.purge_sent(before=now, limit=3)  # batches: a bounded delete at a time
    assert relay.purge(now) == 7 and relay.purge(now) == 0
    with engine.connect() as conn:
        left = list(conn.scalars(select(outbox_table.c.id).order_by(outbox_table.c.id)))
    assert left == ids[10:]
    assert relay.store.pending() == 10
    engine.dispose()


def test_migrations_build_the_declared_schema(core_database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_database_engine(core_database_url, pool_size=1)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []
