"""Writing many rows in few round trips: the hot path of every posting.

On PostgreSQL, journal rows go in with COPY (one round trip per table, no per-row statement), running
balances are updated by one `UPDATE ... FROM (VALUES ...)`, and per-day totals by one multi-row
`INSERT ... ON CONFLICT DO UPDATE`. On SQLite, which runs in-process and has no network round trip,
`executemany` is already cheap and is kept. Both run inside the caller's database transaction, so a
batch stays all-or-nothing. docs/performance.md records what each step bought.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from ledger import schema as t

#: Rows per multi-row statement: keeps SQLite under its bound-parameter limit and PostgreSQL statements small.
CHUNK = 2_000


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name) into `table`."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return
    columns = list(rows[0].keys())
    raw = conn.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def update_balances(conn: sa.Connection, rows: Sequence[tuple[uuid.UUID, int, int, int]]) -> None:
    """Set (account_id, posted, pending_debits, pending_credits) for each account."""
    if not rows:
        return
    b = t.balances
    if conn.dialect.name != "postgresql":
        conn.execute(
            b.update()
            .where(b.c.account_id == sa.bindparam("b_account"))
            .values(
                posted=sa.bindparam("b_posted"),
                pending_debits=sa.bindparam("b_pd"),
                pending_credits=sa.bindparam("b_pc"),
            ),
            [{"b_account": a, "b_posted": p, "b_pd": d, "b_pc": c} for a, p, d, c in rows],
        )
        return
    for start in range(0, len(rows), CHUNK):
        values = sa.values(
            sa.column("account_id", sa.Uuid),
            sa.column("posted", sa.BigInteger),
            sa.column("pending_debits", sa.BigInteger),
            sa.column("pending_credits", sa.BigInteger),
            name="v",
        ).data(list(rows[start : start + CHUNK]))
        conn.execute(
            b.update()
            .where(b.c.account_id == values.c.account_id)
            .values(
                posted=values.c.posted, pending_debits=values.c.pending_debits, pending_credits=values.c.pending_credits
            )
        )


def add_daily(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add each row's `delta` to the per-day total of (party_id, account_id, value_date), creating it if new."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO daily_balances (party_id, account_id, value_date, delta) "
            "SELECT * FROM unnest(%s::varchar[], %s::uuid[], %s::date[], %s::bigint[]) "
            "ON CONFLICT (party_id, account_id, value_date) "
            "DO UPDATE SET delta = daily_balances.delta + EXCLUDED.delta",
            tuple([row[key] for row in rows] for key in ("party_id", "account_id", "value_date", "delta")),
        )
        return
    insert = sqlite.insert
    for start in range(0, len(rows), CHUNK):
        statement = insert(t.daily_balances).values(list(rows[start : start + CHUNK]))
        statement = statement.on_conflict_do_update(
            index_elements=["party_id", "account_id", "value_date"],
            set_={"delta": t.daily_balances.c.delta + statement.excluded.delta},
        )
        conn.execute(statement)


def existing_requests(conn: sa.Connection, request_ids: Sequence[str]) -> list[tuple[str, uuid.UUID, str]]:
    """(request_id, transaction id, fingerprint) of those already posted, in one query."""
    tx = t.transactions
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql(
            "SELECT request_id, id, fingerprint FROM transactions WHERE request_id = ANY(%s::varchar[])",
            (list(request_ids),),
        )
        return [(r[0], r[1], r[2]) for r in result]
    found: list[tuple[str, uuid.UUID, str]] = []
    for start in range(0, len(request_ids), CHUNK):
        query = sa.select(tx.c.request_id, tx.c.id, tx.c.fingerprint).where(
            tx.c.request_id.in_(request_ids[start : start + CHUNK])
        )
        found.extend((r.request_id, r.id, r.fingerprint) for r in conn.execute(query))
    return found


def running_totals(conn: sa.Connection, account_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, int, int, int]]:
    """(account_id, posted, pending_debits, pending_credits) of each account, in one query."""
    b = t.balances
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql(
            "SELECT account_id, posted, pending_debits, pending_credits FROM balances "
            "WHERE account_id = ANY(%s::uuid[])",
            (list(account_ids),),
        )
        return [(r[0], r[1], r[2], r[3]) for r in result]
    found: list[tuple[uuid.UUID, int, int, int]] = []
    for start in range(0, len(account_ids), CHUNK):
        query = sa.select(b.c.account_id, b.c.posted, b.c.pending_debits, b.c.pending_credits).where(
            b.c.account_id.in_(account_ids[start : start + CHUNK])
        )
        found.extend((r.account_id, r.posted, r.pending_debits, r.pending_credits) for r in conn.execute(query))
    return found
