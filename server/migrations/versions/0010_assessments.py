"""four-dimension assessments of borrowers (创新力, 竞争力, 进化力, 影响力) and the assessment each impairment
line used for its tier

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("branch", sa.String(length=63), nullable=False),
        sa.Column("borrower_uscc", sa.String(length=18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("indicators_json", sa.Text(), nullable=False),
        sa.Column("points_json", sa.Text(), nullable=False),
        sa.Column("dimensions_json", sa.Text(), nullable=False),
        sa.Column("total", sa.String(length=24), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("branch", "request_id", name=op.f("uq_assessments_branch_request_id")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessments_borrower_uscc_branch_as_of"), ["borrower_uscc", "branch", "as_of"], unique=False
        )
    with op.batch_alter_table("impairment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("impairment_lines", schema=None) as batch_op:
        batch_op.drop_column("assessment")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_borrower_uscc_branch_as_of"))
    op.drop_table("assessments")
