"""option lapse runs: ExpireOptions requests and their recorded answers (idempotent retries)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "option_lapse_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("principal", sa.String(length=200), nullable=False),
        sa.Column("lapsed_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_lapse_runs")),
        sa.UniqueConstraint("request_id", name=op.f("uq_option_lapse_runs_request_id")),
    )


def downgrade() -> None:
    op.drop_table("option_lapse_runs")
