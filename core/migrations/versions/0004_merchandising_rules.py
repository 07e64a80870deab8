"""merchandising rules: the rule set (its revision, which every API replica polls) and rules;
listings indexed by product (the sellers a rule matches).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_sets",
        sa.Column("rule_set_id", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rule_set_id", name=op.f("pk_rule_sets")),
    )
    op.create_table(
        "merchandising_rules",
        sa.Column("rule_id", sa.String(length=128), nullable=False),
        sa.Column("rule_set_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column("item_id", sa.String(length=128), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["rule_set_id"], ["rule_sets.rule_set_id"],
                                name=op.f("fk_merchandising_rules_rule_set_id_rule_sets")),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_merchandising_rules")),
    )
    with op.batch_alter_table("merchandising_rules") as batch_op:
        batch_op.create_index(batch_op.f("ix_merchandising_rules_rule_set_id"),
                              ["rule_set_id"], unique=False)
    with op.batch_alter_table("listings") as batch_op:
        batch_op.create_index(batch_op.f("ix_listings_product_sku"), ["product_sku"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("listings") as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_product_sku"))
    with op.batch_alter_table("merchandising_rules") as batch_op:
        batch_op.drop_index(batch_op.f("ix_merchandising_rules_rule_set_id"))
    op.drop_table("merchandising_rules")
    op.drop_table("rule_sets")
