"""products dated: `created_at`, when the catalogue first held a product (what merchandising
rules' freshness conditions match). Rows older than this migration stay NULL: their
publication time is unknown, and a freshness condition does not match them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN: a batch rebuild of `products` would trip its foreign keys (SQLite)
    op.add_column("products", sa.Column("created_at", sa.DateTime(timezone=True),
                                        nullable=True))


def downgrade() -> None:
    op.drop_column("products", "created_at")
