"""The assessments table: every four-dimension assessment a branch recorded of a borrower, kept whole.

On the ledger's MetaData so one Alembic history migrates everything (server/migrations/env.py imports
this module; migration 0010). Rows are never updated: a new assessment supersedes an older one from its
`as_of` date, and the history stays as it was recorded. The raw values, each indicator's points and each
dimension's score are stored as exact decimal text in JSON (`{"name": "text"}`), so a record can be
recomputed from itself and compared figure by figure.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

assessments = sa.Table(
    "assessments",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("branch", sa.String(63), nullable=False),  # the assessing branch (party id)
    sa.Column("borrower_uscc", sa.String(18), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model", sa.String(32), nullable=False),  # deals.assessment.model.MODELS version
    sa.Column("indicators_json", sa.Text, nullable=False),  # raw values
    sa.Column("points_json", sa.Text, nullable=False),  # each indicator's points
    sa.Column("dimensions_json", sa.Text, nullable=False),  # each dimension's score
    sa.Column("total", sa.String(24), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    # Idempotency keys are the branch's own, as for deal steps.
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("branch", "request_id"),
    sa.Index(None, "borrower_uscc", "branch", "as_of"),
)
