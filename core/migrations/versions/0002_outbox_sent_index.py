"""outbox: an index over sent rows, for the relay's purge past their retention.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_sent", "outbox", ["sent_at"], unique=False,
                    postgresql_where=sa.text("sent_at IS NOT NULL"),
                    sqlite_where=sa.text("sent_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_outbox_sent", table_name="outbox")
