"""Tables of the exercise workflow: one row per exercise request, an append-only log of its steps, and one
row per ExpireOptions request (its idempotency key, payload fingerprint and recorded answer, so that a
retry returns the original list of lapsed rights; revision 0005).

On the ledger's MetaData (server/migrations/env.py imports this module); the ledger never reads them.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.db import Instant, metadata

exercises = sa.Table(
    "exercises",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("deal_id", sa.String(40), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("method", sa.String(16), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("trigger", sa.String(32), nullable=False),
    sa.Column("trigger_ref", sa.String(200), nullable=False),
    sa.Column("price_per_share", sa.String(40), nullable=False),  # decimal string, CNY per share
    sa.Column("strike_per_share", sa.String(40), nullable=False),
    sa.Column("transfer_price", sa.BigInteger, nullable=False),  # fen, TRANSFER only
    sa.Column("fees", sa.BigInteger, nullable=False),  # fen
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("requested_by", sa.String(200), nullable=False),
    sa.Column("decided_by", sa.String(200), nullable=True),
    sa.Column("units_hold_id", sa.Uuid, nullable=True),
    sa.Column("cash_hold_id", sa.Uuid, nullable=True),
    sa.Column("split_json", sa.Text, nullable=True),
    sa.Column("shares_received", sa.BigInteger, nullable=False, server_default="0"),  # NET
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("expire_at", Instant, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Column("updated_at", Instant, nullable=False),
    sa.Index(None, "deal_id", "created_at"),
    sa.Index(None, "state", "expire_at"),
)

exercise_steps = sa.Table(
    "exercise_steps",
    metadata,
    sa.Column("exercise_id", sa.Uuid, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("from_state", sa.String(16), nullable=True),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("transactions", sa.Text, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
)

option_lapse_runs = sa.Table(
    "option_lapse_runs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("principal", sa.String(200), nullable=False),
    sa.Column("lapsed_json", sa.Text, nullable=False),  # [[deal name, units, fair value reversed in fen], ...]
    sa.Column("created_at", Instant, nullable=False),
)
