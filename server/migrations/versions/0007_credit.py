"""loan classification (runs, the classification each recorded per deal, manual overrides) and impairment
runs with every input of each deal's expected credit loss

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classification_overrides",
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=63), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_role", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_request_id", sa.String(length=128), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_role", sa.String(length=32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("deal_id", "number", name=op.f("pk_classification_overrides")),
        sa.UniqueConstraint("scope", "request_id", name=op.f("uq_classification_overrides_scope_request_id")),
    )
    op.create_table(
        "classification_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_runs")),
        sa.UniqueConstraint("branch", "request_id", name=op.f("uq_classification_runs_branch_request_id")),
    )
    op.create_table(
        "deal_classifications",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("by_days", sa.String(length=16), nullable=False),
        sa.Column("by_cure", sa.String(length=16), nullable=False),
        sa.Column("floor", sa.String(length=16), nullable=False),
        sa.Column("impaired", sa.Boolean(), nullable=False),
        sa.Column("written_off", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "deal_id", name=op.f("pk_deal_classifications")),
    )
    with op.batch_alter_table("deal_classifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_classifications_deal_id_as_of"), ["deal_id", "as_of"], unique=False)
    op.create_table(
        "impairment_lines",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("deal_id", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("pd", sa.String(length=24), nullable=False),
        sa.Column("lgd", sa.String(length=24), nullable=False),
        sa.Column("ead", sa.BigInteger(), nullable=False),
        sa.Column("cover", sa.BigInteger(), nullable=False),
        sa.Column("cover_measured", sa.Boolean(), nullable=False),
        sa.Column("ecl", sa.BigInteger(), nullable=False),
        sa.Column("previous", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "deal_id", name=op.f("pk_impairment_lines")),
    )
    op.create_table(
        "impairment_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("parameters", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.Column("allowance", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.BigInteger(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impairment_runs")),
        sa.UniqueConstraint("branch", "request_id", name=op.f("uq_impairment_runs_branch_request_id")),
    )


def downgrade() -> None:
    op.drop_table("impairment_runs")
    op.drop_table("impairment_lines")
    with op.batch_alter_table("deal_classifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deal_classifications_deal_id_as_of"))
    op.drop_table("deal_classifications")
    op.drop_table("classification_runs")
    op.drop_table("classification_overrides")
