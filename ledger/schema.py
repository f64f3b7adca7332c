"""The ledger's tables (SQLAlchemy Core). The application's migrations
(server/migrations) create and evolve them.

Every table that belongs to a book carries `party_id` (the book id) in its key, so books can later be
spread over partitions without a schema change. Row ids are UUIDs. Amounts are BIGINT minor units,
signed debit-positive. Nothing is ever updated except the running totals (`books`, `balances`,
`daily_balances`) and a hold's state; journal rows (`transactions`, `legs`, `postings`) are insert-only.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Instant = sa.DateTime(timezone=True)

commodities = sa.Table(
    "commodities",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("scale", sa.Integer, nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=True, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=True),
    sa.Column("created_at", Instant, nullable=False),
    sa.CheckConstraint("scale >= 0 AND scale <= 18", name="scale_range"),
    # Who created the row: the verified principal and role (`system` for in-process work; NULL before 0006).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
)

parties = sa.Table(
    "parties",
    metadata,
    sa.Column("id", sa.String(63), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    # Who created the row: the verified principal and role (`system` for in-process work; NULL before 0006).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
)

books = sa.Table(
    "books",
    metadata,
    sa.Column("party_id", sa.String(63), sa.ForeignKey("parties.id"), primary_key=True),
    sa.Column("head_seq", sa.BigInteger, nullable=False),
    sa.Column("head_hash", sa.String(64), nullable=False),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("party_id", sa.String(63), sa.ForeignKey("parties.id"), nullable=False),
    sa.Column("code", sa.String(63), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("commodity", sa.String(32), sa.ForeignKey("commodities.code"), nullable=False),
    sa.Column("must_not_go_negative", sa.Boolean, nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.UniqueConstraint("party_id", "code"),
    # Who created the row: the verified principal and role (`system` for in-process work; NULL before 0006).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
)

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("party_id", sa.String(63), nullable=False),
    sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("posted", sa.BigInteger, nullable=False),
    sa.Column("pending_debits", sa.BigInteger, nullable=False),
    sa.Column("pending_credits", sa.BigInteger, nullable=False),
)

# Net posted amount per account and value date: an as-of balance sums at most one row per day with
# activity, never the postings themselves.
daily_balances = sa.Table(
    "daily_balances",
    metadata,
    sa.Column("party_id", sa.String(63), primary_key=True),
    sa.Column("account_id", sa.Uuid, primary_key=True),
    sa.Column("value_date", sa.Date, primary_key=True),
    sa.Column("delta", sa.BigInteger, nullable=False),
)

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("value_date", sa.Date, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("metadata_json", sa.Text, nullable=False),
    sa.Column("reverses", sa.Uuid, nullable=True, unique=True),
    sa.Column("created_at", Instant, nullable=False),
    sa.Index(None, "created_at", "id"),
)

legs = sa.Table(
    "legs",
    metadata,
    sa.Column("party_id", sa.String(63), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("transaction_id", sa.Uuid, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.UniqueConstraint("party_id", "transaction_id"),
    sa.Index(None, "transaction_id"),
)

postings = sa.Table(
    "postings",
    metadata,
    sa.Column("party_id", sa.String(63), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("idx", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Uuid, nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Index(None, "account_id", "seq"),
)

transaction_metadata = sa.Table(
    "transaction_metadata",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(512), primary_key=True),
    sa.Column("transaction_id", sa.Uuid, primary_key=True),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("party_id", sa.String(63), nullable=False),
    sa.Column("request_id", sa.String(128), nullable=False, unique=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("debit_account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("credit_account_id", sa.Uuid, sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("captured", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("expire_at", Instant, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("metadata_json", sa.Text, nullable=False),
    sa.Column("created_at", Instant, nullable=False),
    sa.Column("capture_transaction_id", sa.Uuid, nullable=True),
    sa.Column("void_request_id", sa.String(128), nullable=True, unique=True),
    sa.Column("resolved_at", Instant, nullable=True),
    sa.Index(None, "state", "expire_at"),
    # Who created the row: the verified principal and role (`system` for in-process work; NULL before 0006).
    sa.Column("principal", sa.String(200), nullable=True),
    sa.Column("role", sa.String(32), nullable=True),
    # Who captured or voided it (the hold expirer is `toudai-hold-expirer`).
    sa.Column("resolved_principal", sa.String(200), nullable=True),
    sa.Column("resolved_role", sa.String(32), nullable=True),
)

# Each book's Merkle tree (ledger/merkle.py, RFC 9162): the root of every perfect subtree of 2**level legs
# (level >= merkle.STORED_LEVEL), stored when its last leg is posted; `idx` counts subtrees of that size from
# the book's first leg. Lower levels are recomputed from `legs.hash`. Insert-only, like the journal.
merkle_nodes = sa.Table(
    "merkle_nodes",
    metadata,
    sa.Column("party_id", sa.String(63), primary_key=True),
    sa.Column("level", sa.SmallInteger, primary_key=True),
    sa.Column("idx", sa.BigInteger, primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False),
)
