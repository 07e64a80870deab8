"""orders: since when in their status, indexed for the sweeper; the sandbox gateway's ledger.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SWEPT = "status IN ('placed', 'paying')"


def upgrade() -> None:
    # Nullable: SQLite cannot add a NOT NULL column without a constant default, and
    # rebuilding `orders` would trip the foreign keys of its lines. The domain always sets it.
    op.add_column("orders", sa.Column("status_changed_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE orders SET status_changed_at = created_at")
    op.create_index("ix_orders_sweep", "orders", ["status", "status_changed_at"], unique=False,
                    postgresql_where=sa.text(SWEPT), sqlite_where=sa.text(SWEPT))
    op.create_table(
        "sandbox_payments",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True),
                  server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_sandbox_payments")),
    )


def downgrade() -> None:
    op.drop_table("sandbox_payments")
    op.drop_index("ix_orders_sweep", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("status_changed_at")
