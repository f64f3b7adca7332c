"""PostgreSQL: a posting batch in three round trips, whatever its size.

A posting needs three reads before it can compute anything (the books' heads, locked; which request ids
already exist; the touched accounts' running totals), a fourth when it lowers a guarded account (that
account's per-day totals after the earliest such posting, for the as-of check), and seven writes after
(transactions, legs, postings, metadata, running balances, per-day totals, book heads). Sent one by one
through the driver, that is ten or eleven statements, each with its own round trip and its own
per-statement cost in Python, which is most of a small call's time and of a group commit's. Here:

- the reads go as one pipelined round trip (psycopg pipeline mode);
- from COPY_FROM transactions on, the journal rows (transactions, legs, postings, metadata) go in with
  COPY, which PostgreSQL ingests fastest for large batches (docs/performance.md, "Figures that were in
  code comments"), and the statement below carries only the running totals and heads;
- the writes are ONE statement: data-modifying CTEs, each `INSERT ... SELECT FROM unnest(...)` or
  `UPDATE ... FROM unnest(...)`, so PostgreSQL does all of it after one parse (and, repeated, one plan);
- every array parameter is sent as PostgreSQL array *text* built with `str.join`, not as a Python list:
  psycopg adapts a list element by element in Python (finding its type, dumping each item), which costs
  more than the statement itself for small batches and grows with large ones.

The statement is all or nothing like any statement, and runs inside the caller's database transaction.
ledger/bulk.py keeps the SQLite path; docs/performance.md records what this bought.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ledger.bulk import LATER_DAYS, driver_errors, write_journal
from ledger.db import bound_lock_holder
from ledger.posting import JournalRows

#: From this many transactions on, journal rows go in with COPY (see above).
COPY_FROM = 200

_NEEDS_ESCAPE = re.compile(r'["\\]')


def text_array(values: Iterable[str]) -> str:
    """A text[] literal: every element double-quoted (so commas, braces, spaces, "NULL" stay text)."""
    return "{" + ",".join(['"' + _escape(v) + '"' for v in values]) + "}"


def _escape(value: str) -> str:
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return value.replace("\\", "\\\\").replace('"', '\\"')


def plain_array(values: Iterable[object]) -> str:
    """An array literal of values whose text never needs quoting: integers, UUIDs, ISO dates and instants."""
    return "{" + ",".join([str(v) for v in values]) + "}"


def nullable_plain_array(values: Iterable[object | None]) -> str:
    return "{" + ",".join(["NULL" if v is None else str(v) for v in values]) + "}"


def later_parameters(since: Mapping[uuid.UUID, tuple[str, dt.date]]) -> tuple[str, str, str]:
    """bulk.LATER_DAYS' three arrays (parties, accounts, dates) as array text."""
    return (
        plain_array([party for party, _ in since.values()]),  # party ids never need quoting (their format)
        plain_array(since.keys()),
        plain_array([day for _, day in since.values()]),
    )


def read_state(
    conn: sa.Connection,
    parties: Sequence[str],
    request_ids: Sequence[str],
    account_ids: Iterable[uuid.UUID],
    since: Mapping[uuid.UUID, tuple[str, dt.date]] | None = None,
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """(book heads, locked in party order; existing (request_id, id, fingerprint); running totals;
    (account_id, value_date, delta) after each `since` account's date, in date order)."""
    raw = conn.connection.driver_connection
    # Errors of the raw driver become SQLAlchemy's (bulk.driver_errors), so the unit of work retries a
    # conflict and reports an outage (tests/integration/test_pg_driver_faults.py).
    with driver_errors("read posting state"), raw.pipeline():  # type: ignore[union-attr]
        heads = raw.execute(  # type: ignore[union-attr]
            "SELECT party_id, head_seq, head_hash FROM books WHERE party_id = ANY(%s::varchar[]) "
            "ORDER BY party_id FOR UPDATE",
            (text_array(parties),),
        )
        existing = raw.execute(  # type: ignore[union-attr]
            "SELECT request_id, id, fingerprint FROM transactions WHERE request_id = ANY(%s::varchar[])",
            (text_array(request_ids),),
        )
        running = raw.execute(  # type: ignore[union-attr]
            "SELECT account_id, posted, pending_debits, pending_credits FROM balances "
            "WHERE account_id = ANY(%s::uuid[])",
            (plain_array(account_ids),),
        )
        later = raw.execute(LATER_DAYS, later_parameters(since)) if since else None  # type: ignore[union-attr]
    with driver_errors("read posting state"):  # a pipeline's error may surface when its results are read
        result = heads.fetchall(), existing.fetchall(), running.fetchall(), later.fetchall() if later else []
        hold_sql = bound_lock_holder(conn, len(request_ids))  # the locks are held now (ledger.db.SessionLimits)
        if hold_sql is not None:
            # Outside the pipeline, one more round trip: run inside it, the setting is made but the idle timer
            # armed when the pipeline ends keeps the session-wide value (measured with psycopg 3 and
            # PostgreSQL 15: idle for 2.5 s under a 1 s limit set in the pipeline, not ended; set outside,
            # ended), and the idle gap after this read (posting's Python work) is exactly the one to bound.
            raw.execute(hold_sql)  # type: ignore[union-attr]
        return result


_WRITE = """
WITH new_transactions AS (
    INSERT INTO transactions (id, request_id, fingerprint, value_date, description, metadata_json, reverses,
                              created_at)
    SELECT * FROM unnest(%(tx_id)s::uuid[], %(tx_request)s::varchar[], %(tx_print)s::varchar[],
                         %(tx_date)s::date[], %(tx_text)s::text[], %(tx_meta)s::text[], %(tx_rev)s::uuid[],
                         %(tx_at)s::timestamptz[])
), new_legs AS (
    INSERT INTO legs (party_id, seq, transaction_id, prev_hash, hash)
    SELECT * FROM unnest(%(leg_party)s::varchar[], %(leg_seq)s::bigint[], %(leg_tx)s::uuid[],
                         %(leg_prev)s::varchar[], %(leg_hash)s::varchar[])
), new_postings AS (
    INSERT INTO postings (party_id, seq, idx, account_id, amount)
    SELECT * FROM unnest(%(p_party)s::varchar[], %(p_seq)s::bigint[], %(p_idx)s::int[], %(p_account)s::uuid[],
                         %(p_amount)s::bigint[])
), new_metadata AS (
    INSERT INTO transaction_metadata (key, value, transaction_id)
    SELECT * FROM unnest(%(m_key)s::varchar[], %(m_value)s::varchar[], %(m_tx)s::uuid[])
), new_balances AS (
    UPDATE balances SET posted = v.posted, pending_debits = v.pd, pending_credits = v.pc
    FROM unnest(%(b_account)s::uuid[], %(b_posted)s::bigint[], %(b_pd)s::bigint[], %(b_pc)s::bigint[])
         AS v(account_id, posted, pd, pc)
    WHERE balances.account_id = v.account_id
), new_daily AS (
    INSERT INTO daily_balances (party_id, account_id, value_date, delta)
    SELECT * FROM unnest(%(d_party)s::varchar[], %(d_account)s::uuid[], %(d_date)s::date[], %(d_delta)s::bigint[])
    ON CONFLICT (party_id, account_id, value_date) DO UPDATE SET delta = daily_balances.delta + EXCLUDED.delta
)
UPDATE books SET head_seq = v.seq, head_hash = v.hash
FROM unnest(%(h_party)s::varchar[], %(h_seq)s::bigint[], %(h_hash)s::varchar[]) AS v(party_id, seq, hash)
WHERE books.party_id = v.party_id
"""


def write_state(
    conn: sa.Connection,
    rows: JournalRows,
    balances: Sequence[tuple[uuid.UUID, int, int, int]],
    daily: Sequence[tuple[str, uuid.UUID, dt.date, int]],
    heads: Sequence[tuple[str, int, str]],
) -> None:
    """Every write of a posting batch: one statement, preceded by COPY for a large batch's journal rows."""
    if len(rows.transactions) >= COPY_FROM:
        write_journal(conn, rows)
        rows = JournalRows()  # written: the statement below then inserts nothing more
    txs = rows.transactions
    legs = rows.legs
    postings = rows.postings
    metadata = rows.metadata
    stamps = {created: created.isoformat() for *_, created in txs}
    parameters = {
        "tx_id": plain_array([r[1] for r in txs]),
        "tx_request": text_array([r[2] for r in txs]),
        "tx_print": plain_array([r[3] for r in txs]),
        "tx_date": plain_array([r[4] for r in txs]),
        "tx_text": text_array([r[5] for r in txs]),
        "tx_meta": text_array([r[6] for r in txs]),
        "tx_rev": nullable_plain_array([r[7] for r in txs]),
        "tx_at": plain_array([stamps[r[8]] for r in txs]),
        "leg_party": plain_array([r[0] for r in legs]),
        "leg_seq": plain_array([r[1] for r in legs]),
        "leg_tx": plain_array([r[3] for r in legs]),
        "leg_prev": plain_array([r[4] for r in legs]),
        "leg_hash": plain_array([r[5] for r in legs]),
        "p_party": plain_array([r[0] for r in postings]),
        "p_seq": plain_array([r[1] for r in postings]),
        "p_idx": plain_array([r[2] for r in postings]),
        "p_account": plain_array([r[3].id_text for r in postings]),
        "p_amount": plain_array([r[4] for r in postings]),
        "m_key": text_array([r[0] for r in metadata]),
        "m_value": text_array([r[1] for r in metadata]),
        "m_tx": plain_array([r[3] for r in metadata]),
        "b_account": plain_array([r[0] for r in balances]),
        "b_posted": plain_array([r[1] for r in balances]),
        "b_pd": plain_array([r[2] for r in balances]),
        "b_pc": plain_array([r[3] for r in balances]),
        "d_party": plain_array([r[0] for r in daily]),
        "d_account": plain_array([r[1] for r in daily]),
        "d_date": plain_array([r[2] for r in daily]),
        "d_delta": plain_array([r[3] for r in daily]),
        "h_party": plain_array([r[0] for r in heads]),
        "h_seq": plain_array([r[1] for r in heads]),
        "h_hash": plain_array([r[2] for r in heads]),
    }
    with driver_errors(_WRITE):
        conn.connection.driver_connection.execute(_WRITE, parameters)  # type: ignore[union-attr]
