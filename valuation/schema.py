"""Tables of the valuation side: funding rounds with their cap tables, revaluations and their records.

They live on the ledger's MetaData so one Alembic history migrates everything (server/migrations/env.py
imports this module; revision 0003 creates them); the ledger's own code never reads them.

- `funding_rounds`: one row per recorded round; the post-round cap table is stored as canonical JSON in
  the cap-table file format of docs/valuation.md, prices as decimal strings.
- `revaluations`: one row per RevalueOptions request (its idempotency key and inputs).
- `valuation_records`: one row per deal valued by a revaluation: inputs, engine, code version, result,
  the change posted and the ledger transaction, so an auditor can trace every mark to its inputs.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

funding_rounds = sa.Table(
    "funding_rounds",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("company", sa.String(128), nullable=False),
    sa.Column("round_date", sa.Date, nullable=False),
    sa.Column("share_class", sa.String(64), nullable=False),
    sa.Column("price_per_share", sa.String(40), nullable=False),
    sa.Column("shares_issued", sa.BigInteger, nullable=False),
    sa.Column("cap_table_json", sa.Text, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "company", "round_date", "created_at"),
    # Who recorded it (NULL before migration 0006).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
)

revaluations = sa.Table(
    "revaluations",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("inputs_json", sa.Text, nullable=False),
    sa.Column("skipped_json", sa.Text, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "as_of"),
)

valuation_records = sa.Table(
    "valuation_records",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revaluation_id", sa.Uuid, nullable=False),
    sa.Column("deal_id", sa.String(40), nullable=False),
    sa.Column("holder", sa.String(63), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("funding_round_id", sa.Uuid, nullable=True),
    sa.Column("engine", sa.String(32), nullable=False),
    sa.Column("code_version", sa.String(80), nullable=False),
    sa.Column("inputs_json", sa.Text, nullable=False),
    sa.Column("value_per_share", sa.String(40), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("fair_value", sa.BigInteger, nullable=False),  # fen
    sa.Column("change", sa.BigInteger, nullable=False),  # fen posted by this revaluation
    sa.Column("transaction_id", sa.Uuid, nullable=True),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("revaluation_id", "deal_id"),
    sa.Index(None, "deal_id", "as_of"),
)
