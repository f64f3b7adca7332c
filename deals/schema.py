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
    # Idempotency keys are the branch's own: another branch can neither see nor squat them.
    sa.Column("request_id", sa.String(128), nullable=False),
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
    # Non-accrual (停止计息): the first day whose interest was tracked off balance sheet; NULL while the
    # loan's interest is recognised as income (docs/credit.md, "Non-accrual").
    sa.Column("non_accrual_since", sa.Date, nullable=True),
    # Who booked it (NULL for deals booked before attribution was recorded).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
    # The risk-sharing agreement it was booked under and the most its pool can owe on it (the
    # agreement's exposure cap sums this over the agreement's open deals).
    sa.Column("risk_agreement", sa.String(40), nullable=True),
    sa.Column("max_compensation", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("branch", "request_id"),
    sa.Index(None, "branch", "id"),
    sa.Index(None, "risk_agreement"),
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
    # The party whose key request_id is (the deal's branch; the pool for claims paid by a funding).
    sa.Column("scope", sa.String(63), nullable=False, server_default=""),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("transaction_id", sa.Uuid, nullable=True),
    sa.Column("details_json", sa.Text, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
    sa.UniqueConstraint("scope", "request_id"),
)

# The risk pool's compensation of a defaulted deal: posted with the default within the agreement's
# auto-approval limit, otherwise pending until the pool approves (posted then) or rejects it.
compensation_claims = sa.Table(
    "compensation_claims",
    metadata,
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("pool", sa.String(63), nullable=False),
    sa.Column("branch", sa.String(63), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("loss", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("paid", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("owed", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("agreement", sa.String(80), nullable=False, server_default=""),
    sa.Column("filed_principal", sa.String(200), nullable=False),
    sa.Column("filed_role", sa.String(32), nullable=False),
    sa.Column("filed_request", sa.String(128), nullable=False),
    sa.Column("decided_principal", sa.String(200), nullable=True),
    sa.Column("decided_role", sa.String(32), nullable=True),
    sa.Column("decided_request", sa.String(128), nullable=True),
    sa.Column("decision_fingerprint", sa.String(64), nullable=True),
    sa.Column("decided_at", Instant, nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("transaction_id", sa.Uuid, nullable=True),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "pool", "deal_id"),
    sa.Index(None, "branch", "deal_id"),
)

#: The insurer's claim (科技保险) on a defaulted deal: filed by the default, decided by the insurer's staff
#: (nothing lands in the insurer's book before it approves), then settled in cash, possibly in parts.
insurance_claims = sa.Table(
    "insurance_claims",
    metadata,
    sa.Column("deal_id", sa.String(40), primary_key=True),
    sa.Column("insurer", sa.String(63), nullable=False),
    sa.Column("branch", sa.String(63), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("loss", sa.BigInteger, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("settled", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("rate", sa.String(16), nullable=False),
    sa.Column("filed_principal", sa.String(200), nullable=False),
    sa.Column("filed_role", sa.String(32), nullable=False),
    sa.Column("filed_request", sa.String(128), nullable=False),
    sa.Column("decided_principal", sa.String(200), nullable=True),
    sa.Column("decided_role", sa.String(32), nullable=True),
    sa.Column("decided_request", sa.String(128), nullable=True),
    sa.Column("decided_at", Instant, nullable=True),
    sa.Column("decision_date", sa.Date, nullable=True),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("transaction_id", sa.Uuid, nullable=True),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "insurer", "deal_id"),
    sa.Index(None, "branch", "deal_id"),
)
