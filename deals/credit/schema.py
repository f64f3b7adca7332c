"""Tables of the credit side: classification runs, the classification each run recorded per deal, and
manual overrides (downgrades and their lifting) with their four-eyes decision.

On the ledger's MetaData so one Alembic history migrates everything (server/migrations/env.py imports
this module). Rows are never updated except an override's decision, recorded once.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

classification_runs = sa.Table(
    "classification_runs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("branch", sa.String(63), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("deals", sa.Integer, nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("branch", "request_id"),
)

deal_classifications = sa.Table(
    "deal_classifications",
    metadata,
    sa.Column("run_id", sa.Uuid, primary_key=True),
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("by_days", sa.String(16), nullable=False),
    sa.Column("by_cure", sa.String(16), nullable=False),
    sa.Column("floor", sa.String(16), nullable=False),
    sa.Column("impaired", sa.Boolean, nullable=False),
    sa.Column("written_off", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "deal_id", "as_of"),
)

classification_overrides = sa.Table(
    "classification_overrides",
    metadata,
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("category", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected
    sa.Column("scope", sa.String(63), nullable=False),  # the deal's branch: request ids are its own
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("requested_role", sa.String(32), nullable=False),
    sa.Column("requested_at", Instant, nullable=False),
    sa.Column("decision_request_id", sa.String(128), nullable=True),
    sa.Column("decision_note", sa.String(500), nullable=True),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("decided_role", sa.String(32), nullable=True),
    sa.Column("decided_at", Instant, nullable=True),
    sa.UniqueConstraint("scope", "request_id"),
)

impairment_runs = sa.Table(
    "impairment_runs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("branch", sa.String(63), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("parameters", sa.String(32), nullable=False),  # the PD/LGD table version used
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("transaction_id", sa.Uuid, nullable=True),  # the netted posting; none if nothing changed
    sa.Column("allowance", sa.BigInteger, nullable=False),  # the branch's allowance after the run (fen)
    sa.Column("change", sa.BigInteger, nullable=False),  # its change, posted as 信用减值损失 (fen)
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("branch", "request_id"),
)

# Every input of each deal's ECL, so a run can be recomputed from its record.
impairment_lines = sa.Table(
    "impairment_lines",
    metadata,
    sa.Column("run_id", sa.Uuid, primary_key=True),
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("category", sa.String(16), nullable=False),  # "" when not disbursed
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("stage", sa.Integer, nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("pd", sa.String(24), nullable=False),
    sa.Column("lgd", sa.String(24), nullable=False),
    sa.Column("ead", sa.BigInteger, nullable=False),
    sa.Column("cover", sa.BigInteger, nullable=False),
    sa.Column("cover_measured", sa.Boolean, nullable=False),
    sa.Column("ecl", sa.BigInteger, nullable=False),
    sa.Column("previous", sa.BigInteger, nullable=False),  # the deal's allowance before the run
    # The borrower's assessment in force on the run's date that gave `tier` (assessments/{uuid}); NULL when
    # the tier is the booked stage (no assessment, or a run recorded before assessments existed).
    sa.Column("assessment", sa.String(64), nullable=True),
)
