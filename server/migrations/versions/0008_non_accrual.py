"""non-accrual: the first day of a deal's interest tracked off balance sheet

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deals", sa.Column("non_accrual_since", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("deals", "non_accrual_since")
