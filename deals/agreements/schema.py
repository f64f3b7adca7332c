"""Tables of the agreements: one row per agreement (its parties and latest version) and one per version.

They live on the ledger's MetaData so one Alembic history migrates everything (server/migrations/env.py
imports this module). Versions are never updated or deleted: a deal records the version it was booked
under and reads it back from here.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(63), nullable=False),
    sa.Column("counterparty", sa.String(63), nullable=False),
    sa.Column("latest_version", sa.Integer, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "owner", "counterparty", "kind"),
    sa.Index(None, "counterparty", "kind"),
)

agreement_versions = sa.Table(
    "agreement_versions",
    metadata,
    sa.Column("agreement_id", sa.String(40), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_until", sa.Date, nullable=True),
    sa.Column("terms_json", sa.Text, nullable=False),
    sa.Column("reference", sa.String(200), nullable=False, server_default=""),
    # Idempotency: scoped to the party that recorded it, so no one can learn or squat another's keys.
    sa.Column("request_scope", sa.String(63), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("request_scope", "request_id"),
)
