"""Reading and writing the state around a posting (the I/O on either side of ledger.posting.compute).

Reading takes the touched books' locks in party-id order (no deadlocks), finds the request ids already
posted, loads the touched accounts' running totals and, for the guarded accounts the batch lowers, their
per-day totals dated after the batch's earliest posting that lowers them (nothing, in the common case of
postings dated on the latest day: see ledger.posting.guarded_since); writing inserts the journal rows, the running
totals, the per-day totals and the new heads. PostgreSQL does each side in one round trip
(ledger/pg_posting.py); SQLite, in-process, runs plain statements (ledger/bulk.py). Both run inside the
caller's database transaction, and so does extending the books' Merkle trees (ledger/merkle_store.py: two
reads and one insert when the batch completes a 64-leg block of a book, nothing otherwise).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from ledger import bulk, db, faults, merkle_store, pg_posting
from ledger import schema as t
from ledger.errors import NotFound
from ledger.model import Account
from ledger.posting import Computed, Running, State, by_uuid


def read_state(
    conn: sa.Connection,
    parties: Sequence[str],
    request_ids: Sequence[str],
    account_ids: Iterable[uuid.UUID],
    since: Mapping[uuid.UUID, tuple[str, dt.date]] | None = None,
) -> State:
    """Lock `parties`' books (sorted) and read what posting decides on; `since` (account id → (party,
    date), from ledger.posting.guarded_since) names whose per-day totals after that date to read."""
    since = since or {}
    if conn.dialect.name != "postgresql":
        heads = lock_books(conn, parties)
        faults.holding_book_locks(parties)  # (a no-op outside the reliability tests)
        return State(
            heads,
            existing_requests(conn, request_ids),
            load_running(conn, account_ids),
            load_later(conn, since),
        )
    head_rows, existing_rows, running_rows, later_rows = pg_posting.read_state(
        conn, parties, request_ids, list(account_ids), since
    )
    faults.holding_book_locks(parties)
    heads = {party: (seq, digest) for party, seq, digest in head_rows}
    if len(heads) != len(parties):  # pragma: no cover - accounts cannot exist without their book
        raise NotFound(f"parties/{sorted(set(parties) - heads.keys())[0]}", "book of party")
    return State(
        heads,
        {request_id: (tx_id, print_) for request_id, tx_id, print_ in existing_rows},
        {a: Running(p, d, c) for a, p, d, c in running_rows},
        _later(since, later_rows),
    )


def load_later(
    conn: sa.Connection, since: Mapping[uuid.UUID, tuple[str, dt.date]]
) -> dict[uuid.UUID, list[tuple[dt.date, int]]]:
    """Each named account's per-day totals dated after its date, in date order (an empty list if none)."""
    return _later(since, bulk.later_days(conn, since) if since else [])


def _later(
    since: Mapping[uuid.UUID, tuple[str, dt.date]], rows: Iterable[tuple[uuid.UUID, dt.date, int]]
) -> dict[uuid.UUID, list[tuple[dt.date, int]]]:
    later: dict[uuid.UUID, list[tuple[dt.date, int]]] = {account_id: [] for account_id in since}
    for account_id, day, delta in rows:  # (in date order)
        later[account_id].append((day, delta))
    return later


def write_state(conn: sa.Connection, computed: Computed) -> None:
    """Write what `compute` built (nothing when every transaction replayed)."""
    if not computed.fresh:
        return
    merkle_store.append(conn, computed.rows.legs)  # the books' Merkle trees (amortised O(1) per leg)
    running = [
        (k, v.posted, v.pending_debits, v.pending_credits) for k, v in sorted(computed.running.items(), key=by_uuid)
    ]
    if conn.dialect.name == "postgresql":
        pg_posting.write_state(conn, computed.rows, running, computed.daily, computed.heads)
        return
    bulk.write_journal(conn, computed.rows)
    bulk.update_balances(conn, running)
    bulk.add_daily(
        conn,
        [{"party_id": p, "account_id": a, "value_date": d, "delta": delta} for p, a, d, delta in computed.daily],
    )
    conn.execute(
        t.books.update()
        .where(t.books.c.party_id == sa.bindparam("b_party"))
        .values(head_seq=sa.bindparam("b_seq"), head_hash=sa.bindparam("b_hash")),
        [{"b_party": p, "b_seq": s, "b_hash": h} for p, s, h in computed.heads],
    )


def lock_books(conn: sa.Connection, parties: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Lock the books' heads in party-id order (no deadlocks) and return (sequence, hash) per book."""
    query = (
        sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash)
        .where(t.books.c.party_id.in_(parties))
        .order_by(t.books.c.party_id)
        .with_for_update()
    )
    heads = {row.party_id: (row.head_seq, row.head_hash) for row in conn.execute(query)}
    hold_sql = db.bound_lock_holder(conn)  # (a size the middle layer does not know yet: the largest batch's)
    if hold_sql is not None:  # from here on, a stall of this transaction is ended quickly (ledger.db.SessionLimits)
        conn.exec_driver_sql(hold_sql)
    missing = set(parties) - heads.keys()
    if missing:  # pragma: no cover - accounts cannot exist without their party's book
        raise NotFound(f"parties/{sorted(missing)[0]}", "book of party")
    return heads


def existing_requests(conn: sa.Connection, request_ids: Sequence[str]) -> dict[str, tuple[uuid.UUID, str]]:
    """request_id → (transaction id, fingerprint) for those already posted."""
    return {request_id: (tx_id, print_) for request_id, tx_id, print_ in bulk.existing_requests(conn, request_ids)}


def load_running(conn: sa.Connection, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Running]:
    return {a: Running(p, d, c) for a, p, d, c in bulk.running_totals(conn, list(account_ids))}


def write_running(
    conn: sa.Connection, running: Mapping[uuid.UUID, Running], touched: Mapping[uuid.UUID, Account]
) -> None:
    bulk.update_balances(
        conn,
        [
            (k, v.posted, v.pending_debits, v.pending_credits)
            for k, v in sorted(running.items(), key=by_uuid)  # (the order UUIDs sort in, without UUID.__lt__)
            if k in touched
        ],
    )
