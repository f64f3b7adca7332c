"""marks: funding rounds, revaluations and valuation records

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_rounds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("company", sa.String(length=128), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("share_class", sa.String(length=64), nullable=False),
        sa.Column("price_per_share", sa.String(length=40), nullable=False),
        sa.Column("shares_issued", sa.BigInteger(), nullable=False),
        sa.Column("cap_table_json", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_rounds")),
        sa.UniqueConstraint("request_id", name=op.f("uq_funding_rounds_request_id")),
    )
    with op.batch_alter_table("funding_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_funding_rounds_company_round_date_created_at"),
            ["company", "round_date", "created_at"],
            unique=False,
        )
    op.create_table(
        "revaluations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("skipped_json", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revaluations")),
        sa.UniqueConstraint("request_id", name=op.f("uq_revaluations_request_id")),
    )
    with op.batch_alter_table("revaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revaluations_as_of"), ["as_of"], unique=False)
    op.create_table(
        "valuation_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revaluation_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=63), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("funding_round_id", sa.Uuid(), nullable=True),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("code_version", sa.String(length=80), nullable=False),
        sa.Column("inputs_json", sa.Text(), nullable=False),
        sa.Column("value_per_share", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("fair_value", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_valuation_records")),
        sa.UniqueConstraint("revaluation_id", "deal_id", name=op.f("uq_valuation_records_revaluation_id_deal_id")),
    )
    with op.batch_alter_table("valuation_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_valuation_records_deal_id_as_of"), ["deal_id", "as_of"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("valuation_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_valuation_records_deal_id_as_of"))
    op.drop_table("valuation_records")
    with op.batch_alter_table("revaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revaluations_as_of"))
    op.drop_table("revaluations")
    with op.batch_alter_table("funding_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_rounds_company_round_date_created_at"))
    op.drop_table("funding_rounds")
