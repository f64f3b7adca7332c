"""Legs for an export as plain tuples of text, read in ranges of sequence numbers, fast on PostgreSQL.

An export touches every leg of the books it covers, so per-leg overhead decides its speed. Each range
of `RANGE_LEGS` sequence numbers is read in one short transaction, and every field comes back already as
the text the export formats need. On PostgreSQL that is two index range reads through the driver
directly (legs with their transactions, then the postings), with UUIDs, value dates and instants loaded
as the database's own text (no UUID or datetime objects), while the next range is read in the background
as this one is encoded. On SQLite (and as the reference) it is one SQLAlchemy Core join, formatted in
Python. Both give identical `ExportLeg`s; tests/integration/test_audit_export_source.py compares them.

Each range is read to the end before anything is sent on, so no statement or snapshot stays open while a
slow client drains the stream, and memory holds about two ranges."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import sqlalchemy as sa

from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import format_instant, metadata_text
from ledger.db import Engines, as_utc
from ledger.errors import StoreUnavailable

RANGE_LEGS = 4_000  # sequence numbers per read: ~2.5 MB of text for two-posting legs


class ExportLeg(NamedTuple):
    """One leg as text: every field of its canonical document, and its postings by account id.

    `metadata` is the canonical JSON text of the metadata; `postings` are (account id as hyphenated
    lowercase UUID text, signed minor units) in posting order. A leg whose transaction row is missing
    has empty text fields, `{}` metadata and no reverses, so that a verifier reports it.
    """

    seq: int
    prev: str
    hash: str
    tx: str
    request_id: str
    value_date: str
    recorded_at: str
    description: str
    metadata: str
    reverses: str | None
    postings: list[tuple[str, int]]


def export_legs(
    engines: Engines,
    book: str,
    lo: int,
    hi: int,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    account_ids: Sequence[uuid.UUID] = (),
    range_legs: int | None = None,
    portable: bool = False,
) -> Iterator[list[ExportLeg]]:
    """The legs of `book` with `lo` <= seq <= `hi` that pass the filters, in sequence order, in batches
    (one per range of `range_legs` sequence numbers; empty ranges yield nothing).

    `portable` forces the SQLAlchemy path on PostgreSQL too (to compare both).
    """
    engine = engines.reader
    fast = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg" and not portable
    read = _read_postgres if fast else _read_portable
    step = range_legs or RANGE_LEGS
    ranges = [(start, min(hi, start + step - 1)) for start in range(lo, hi + 1, step)]
    # Read range k+1 in the background while range k is encoded and sent: the driver waits on the
    # database without the GIL, so the database's work and the encoding overlap (two ranges in memory).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as pool:
        ahead: Future[list[ExportLeg]] | None = None
        for start, end in ranges:
            following = pool.submit(read, engine, book, start, end, date_from, date_to, account_ids)
            if ahead is not None and (batch := ahead.result()):
                yield batch
            ahead = following
        if ahead is not None and (batch := ahead.result()):
            yield batch


# ---------------------------------------------------------------------- PostgreSQL: the driver directly

# The plan that stays proportional to the range: index range scans on legs and postings, an index probe
# into transactions per leg. Without these settings a planner with stale statistics may hash-join whole
# tables for every range (quadratic over an export), and parallel workers only compete for the cores.
_PLAN = (
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
    "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'"
)

_LEGS = """
SELECT l.seq, l.prev_hash, l.hash, l.transaction_id, t.id, t.request_id, t.value_date, t.created_at,
       t.description, t.metadata_json, t.reverses
FROM legs l LEFT JOIN transactions t ON t.id = l.transaction_id
WHERE l.party_id = %(book)s AND l.seq >= %(lo)s AND l.seq <= %(hi)s{filters}
ORDER BY l.seq
"""

_POSTINGS = """
SELECT seq, account_id, amount FROM postings
WHERE party_id = %(book)s AND seq >= %(lo)s AND seq <= %(hi)s
ORDER BY seq, idx
"""

_INSTANTS: dict[str, str] = {}


def _instant(text: str) -> str:
    """PostgreSQL's ISO text of a timestamptz in UTC (`2026-11-26 02:35:06.5778+00`) as `format_instant`
    writes it (`2026-11-26T02:35:06.577800Z`); memoised, since a batch of transactions shares its instant."""
    found = _INSTANTS.get(text)
    if found is not None:
        return found
    if len(text) >= 22 and text[10] == " " and text[13] == ":" and text.endswith("+00") and text[4] == "-":
        body = text[:-3]
        fraction = body[20:] if len(body) > 19 and body[19] == "." else ""
        found = f"{body[:10]}T{body[11:19]}.{fraction.ljust(6, '0')}Z"
    else:  # a shape this parser does not expect (years past 9999, say): let datetime read it
        found = format_instant(dt.datetime.fromisoformat(text))
    if len(_INSTANTS) >= 4_096:
        _INSTANTS.clear()
    _INSTANTS[text] = found
    return found


def _legs_statement(date_from: dt.date | None, date_to: dt.date | None, account_ids: Sequence[uuid.UUID]) -> str:
    filters = ""
    if date_from is not None:
        filters += " AND t.value_date >= %(date_from)s"
    if date_to is not None:
        filters += " AND t.value_date <= %(date_to)s"
    if account_ids:
        filters += (
            " AND EXISTS (SELECT 1 FROM postings q WHERE q.party_id = l.party_id AND q.seq = l.seq"
            " AND q.account_id = ANY(%(accounts)s))"
        )
    return _LEGS.format(filters=filters)


def _read_postgres(
    engine: sa.Engine,
    book: str,
    lo: int,
    hi: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    account_ids: Sequence[uuid.UUID],
) -> list[ExportLeg]:
    """Two index range reads in one short transaction; UUIDs, dates and instants come back as text."""
    import psycopg
    from psycopg.types.string import TextLoader

    params: dict[str, Any] = {"book": book, "lo": lo, "hi": hi, "date_from": date_from, "date_to": date_to}
    params["accounts"] = list(account_ids)
    try:
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            with driver.cursor() as cursor:
                for name in ("uuid", "date", "timestamptz"):
                    cursor.adapters.register_loader(name, TextLoader)
                cursor.execute(_PLAN)
                cursor.execute(_legs_statement(date_from, date_to, account_ids), params)
                legs = cursor.fetchall()
                cursor.execute(_POSTINGS, params)
                postings = cursor.fetchall()
            driver.rollback()  # ends the read (and its SET LOCALs) before the connection goes back
    except psycopg.OperationalError as error:
        raise StoreUnavailable("the database is unavailable; retry later") from error
    return _assemble(legs, postings)


def _assemble(legs: list[Any], postings: list[Any]) -> list[ExportLeg]:
    """Rows of (legs ⋈ transactions) and of postings, both in sequence order, into `ExportLeg`s."""
    by_seq: dict[int, list[tuple[str, int]]] = {}
    for seq, account, amount in postings:
        found = by_seq.get(seq)
        if found is None:
            by_seq[seq] = [(account, amount)]
        else:
            found.append((account, amount))
    new = tuple.__new__  # ExportLeg(...) without its Python-level __new__: this runs once per leg
    out: list[ExportLeg] = []
    for seq, prev, hash_, tx, tx_id, request_id, value_date, created_at, description, metadata, reverses in legs:
        ps = by_seq.get(seq) or []
        if tx_id is None:  # the transaction row is gone: what the leg row still says
            out.append(ExportLeg(seq, prev, hash_, tx, "", "", "", "", "{}", None, ps))
            continue
        recorded_at = _INSTANTS.get(created_at) or _instant(created_at)
        if metadata != "{}":
            metadata = metadata_text(metadata)
        fields = (seq, prev, hash_, tx, request_id, value_date, recorded_at, description, metadata, reverses, ps)
        out.append(new(ExportLeg, fields))
    return out


# ---------------------------------------------------------------------- any database: SQLAlchemy Core


def _read_portable(
    engine: sa.Engine,
    book: str,
    lo: int,
    hi: int,
    date_from: dt.date | None,
    date_to: dt.date | None,
    account_ids: Sequence[uuid.UUID],
) -> list[ExportLeg]:
    lg, tx, p = t.legs, t.transactions, t.postings
    where: list[sa.ColumnElement[bool]] = [lg.c.party_id == book, lg.c.seq >= lo, lg.c.seq <= hi]
    if date_from is not None:
        where.append(tx.c.value_date >= date_from)
    if date_to is not None:
        where.append(tx.c.value_date <= date_to)
    if account_ids:
        q = p.alias("q")
        where.append(
            sa.exists().where(q.c.party_id == lg.c.party_id, q.c.seq == lg.c.seq, q.c.account_id.in_(account_ids))
        )
    query = (
        sa.select(
            lg.c.seq,
            lg.c.prev_hash,
            lg.c.hash,
            lg.c.transaction_id,
            tx.c.id.label("tx_id"),
            tx.c.request_id,
            tx.c.value_date,
            tx.c.created_at,
            tx.c.description,
            tx.c.metadata_json,
            tx.c.reverses,
            p.c.account_id,
            p.c.amount,
        )
        .select_from(
            lg.outerjoin(tx, tx.c.id == lg.c.transaction_id).outerjoin(
                p, sa.and_(p.c.party_id == lg.c.party_id, p.c.seq == lg.c.seq)
            )
        )
        .where(*where)
        .order_by(lg.c.seq, p.c.idx)
    )
    rows = uow.read(engine, lambda c: c.execute(query).all())
    legs: list[ExportLeg] = []
    current: int | None = None
    postings: list[tuple[str, int]] = []
    for r in rows:
        if r.seq != current:
            current = r.seq
            postings = []
            if r.tx_id is None:
                legs.append(
                    ExportLeg(
                        int(r.seq), r.prev_hash, r.hash, str(r.transaction_id), "", "", "", "", "{}", None, postings
                    )
                )
            else:
                legs.append(
                    ExportLeg(
                        int(r.seq),
                        r.prev_hash,
                        r.hash,
                        str(r.transaction_id),
                        r.request_id,
                        r.value_date.isoformat(),
                        format_instant(as_utc(r.created_at)),
                        r.description,
                        metadata_text(r.metadata_json),
                        str(r.reverses) if r.reverses else None,
                        postings,
                    )
                )
        if r.account_id is not None:
            postings.append((str(r.account_id), int(r.amount)))
    return legs
