"""credit-data sharing: borrowers' consents (with their revocation) and the audit trail of exports

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_data_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("borrower_uscc", sa.String(length=18), nullable=False),
        sa.Column("platform", sa.String(length=63), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("evidence_reference", sa.String(length=200), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.Column("revoke_request_id", sa.String(length=128), nullable=True),
        sa.Column("revoke_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoked_role", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_data_consents")),
        sa.UniqueConstraint("branch", "request_id", name=op.f("uq_credit_data_consents_branch_request_id")),
    )
    with op.batch_alter_table("credit_data_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credit_data_consents_borrower_uscc_platform"), ["borrower_uscc", "platform"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_credit_data_consents_branch_created_at"), ["branch", "created_at"], unique=False
        )
    op.create_table(
        "credit_data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=63), nullable=False),
        sa.Column("borrowers", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("export_date", sa.Date(), nullable=False),
        sa.Column("consents", sa.Text(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_data_exports")),
    )
    with op.batch_alter_table("credit_data_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_data_exports_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_data_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_data_exports_created_at"))
    op.drop_table("credit_data_exports")
    with op.batch_alter_table("credit_data_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_data_consents_branch_created_at"))
        batch_op.drop_index(batch_op.f("ix_credit_data_consents_borrower_uscc_platform"))
    op.drop_table("credit_data_consents")
