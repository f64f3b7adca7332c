"""Tables of the deal desk: one row per deal with its accrual state, and its event log.

They live on the ledger's MetaData so one Alembic history migrates both (server/migrations/env.py
imports this module); the ledger's own code never reads them.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

deals = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("branch", sa.String(63), nullable=False),
    sa.Column("holder", sa.String(63), nullable=False),
    sa.Column("pool", sa.String(63), nullable=False),
    sa.Column("borrower_uscc", sa.String(18), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("terms_json", sa.Text, nullable=False),
    sa.Column("option_quantity", sa.BigInteger, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Column("updated_at", Instant, nullable=False),
    # Accrual state: interest is accrued to `accrued_to` (exclusive); the current segment (constant
    # principal within one schedule period) started at `segment_start` and has accrued these amounts.
    sa.Column("accrued_to", sa.Date, nullable=True),
    sa.Column("segment_start", sa.Date, nullable=True),
    sa.Column("segment_interest", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("segment_subsidy", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("subsidy_before_segment", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("period_borrower_interest", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("defaulted_at", Instant, nullable=True),
    sa.Index(None, "branch", "id"),
    sa.Index(None, "holder", "id"),
    sa.Index(None, "pool", "defaulted_at"),
    sa.Index(None, "borrower_uscc"),
)

deal_events = sa.Table(
    "deal_events",
    metadata,
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("transaction_id", sa.Uuid, nullable=True),
    sa.Column("details_json", sa.Text, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
)
