"""insurance claims: the insurer's share of a default, filed, decided by the insurer and settled

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "insurance_claims",
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("insurer", sa.String(length=63), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("loss", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("settled", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("rate", sa.String(length=16), nullable=False),
        sa.Column("filed_principal", sa.String(length=200), nullable=False),
        sa.Column("filed_role", sa.String(length=32), nullable=False),
        sa.Column("filed_request", sa.String(length=128), nullable=False),
        sa.Column("decided_principal", sa.String(length=200), nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=True),
        sa.Column("decided_request", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deal_id", name=op.f("pk_insurance_claims")),
    )
    with op.batch_alter_table("insurance_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_insurance_claims_branch_deal_id"), ["branch", "deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_insurance_claims_insurer_deal_id"), ["insurer", "deal_id"], unique=False)


def downgrade() -> None:
    op.drop_table("insurance_claims")
