"""Tables of credit-data sharing: borrowers' consents and the audit trail of exports.

On the ledger's MetaData so one Alembic history migrates everything (server/migrations/env.py imports
this module). A consent row is never deleted: its revocation is recorded once, in the same row, so the
history of what was allowed when stays readable. An export row is written once, before the first byte of
the export leaves the server, so every export that reached a caller is on record.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

credit_data_consents = sa.Table(
    "credit_data_consents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("branch", sa.String(63), nullable=False),  # where it was signed: request ids are its own
    sa.Column("borrower_uscc", sa.String(18), nullable=False),
    sa.Column("platform", sa.String(63), nullable=False),
    sa.Column("scopes", sa.String(200), nullable=False),  # comma-separated scope words, in enum order
    sa.Column("signed_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date, nullable=False),
    sa.Column("evidence_reference", sa.String(200), nullable=False),
    sa.Column("evidence_sha256", sa.String(64), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    # The revocation, recorded once (NULL while the consent holds).
    sa.Column("revoked_on", sa.Date, nullable=True),
    sa.Column("revocation_reason", sa.String(500), nullable=True),
    sa.Column("revoke_request_id", sa.String(128), nullable=True),
    sa.Column("revoke_fingerprint", sa.String(64), nullable=True),
    sa.Column("revoked_by", sa.String(200), nullable=True),
    sa.Column("revoked_role", sa.String(32), nullable=True),
    sa.Column("revoked_at", Instant, nullable=True),
    sa.UniqueConstraint("branch", "request_id"),
    sa.Index(None, "borrower_uscc", "platform"),
    sa.Index(None, "branch", "created_at"),
)

credit_data_exports = sa.Table(
    "credit_data_exports",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("platform", sa.String(63), nullable=False),
    sa.Column("borrowers", sa.Text, nullable=False),  # JSON list of USCCs, in request order
    sa.Column("scopes", sa.String(200), nullable=False),  # comma-separated scope words
    sa.Column("from_date", sa.Date, nullable=False),
    sa.Column("to_date", sa.Date, nullable=False),
    sa.Column("format", sa.String(8), nullable=False),  # jsonl | csv
    sa.Column("export_date", sa.Date, nullable=False),  # the business date the consents were checked on
    sa.Column("consents", sa.Text, nullable=False),  # JSON list of consent ids relied on
    sa.Column("record_count", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "created_at"),
)
