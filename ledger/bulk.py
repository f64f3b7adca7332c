"""Writing many rows in few statements, inside the caller's database transaction.

Posting a batch on PostgreSQL goes through ledger.pg_posting (its reads pipelined, its writes one
statement), which uses `JournalRows` here for the COPY of a large batch's journal rows. Posting on
SQLite, which runs in-process with no network round trip, uses `JournalRows` with `executemany` of
tuples and `add_daily`. The other helpers serve the rest of the ledger on both databases (holds, lookups
by request id, running totals), each in one statement: `= ANY(array)` and `unnest` on PostgreSQL.
docs/performance.md records what each step bought.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ledger import schema as t
from ledger.posting import JournalRows

#: Rows per multi-row statement: keeps SQLite under its bound-parameter limit and PostgreSQL statements small.
CHUNK = 2_000


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (dicts keyed by column name, every row with the same keys) into `table`."""
    if not rows:
        return
    columns = list(rows[0].keys())
    if conn.dialect.name != "postgresql":  # executemany of tuples, each value through its type's processor
        _executemany(conn, table, columns, [tuple(row[c] for c in columns) for row in rows])
        return
    raw = conn.connection.driver_connection
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver_errors(statement), raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


@contextmanager
def driver_errors(statement: str) -> Iterator[None]:
    """Driver errors of work done on the raw psycopg connection, raised as SQLAlchemy raises them, so that
    ledger.unit_of_work retries a lost race and reports an outage as for any statement."""
    try:
        yield
    except psycopg.Error as error:
        raise sa_exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


_NULL = "\\N"  # COPY text format's NULL
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")


def copy_text(value: str) -> str:
    """`value` as a field of PostgreSQL's COPY text format (backslash, tab, newline and CR escaped)."""
    if _COPY_SPECIAL.search(value) is None:
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def write_journal(conn: sa.Connection, rows: JournalRows) -> None:
    """Write a batch's journal rows: on PostgreSQL encoded straight into COPY's text format, one buffer per
    table, with encoders that know each column's type (no per-value type dispatch, no psycopg per-row call);
    elsewhere handed to executemany. Identifiers, party ids, account codes and hashes cannot contain COPY's
    special characters (their formats are validated), so only free text (request ids, descriptions,
    metadata) is escaped."""
    if not rows.transactions:
        return
    if conn.dialect.name != "postgresql":
        _insert_journal(conn, rows)
        return
    with driver_errors("COPY journal rows"):
        _copy_journal(conn.connection.driver_connection, rows)


def _copy_journal(raw: Any, rows: JournalRows) -> None:
    with raw.cursor() as cursor:
        _copy(cursor, "transactions", rows.TRANSACTION_COLUMNS, _transaction_lines(rows.transactions))
        _copy(
            cursor,
            "legs",
            rows.LEG_COLUMNS,
            [f"{p}\t{s}\t{tx}\t{prev}\t{h}\n" for p, s, _, tx, prev, h in rows.legs],
        )
        _copy(
            cursor,
            "postings",
            rows.POSTING_COLUMNS,
            [f"{p}\t{s}\t{i}\t{a.id_text}\t{m}\n" for p, s, i, a, m in rows.postings],
        )
        if rows.metadata:
            _copy(
                cursor,
                "transaction_metadata",
                rows.METADATA_COLUMNS,
                [f"{copy_text(k)}\t{copy_text(v)}\t{tx}\n" for k, v, _, tx in rows.metadata],
            )


def _insert_journal(conn: sa.Connection, rows: JournalRows) -> None:
    """Elsewhere (SQLite): executemany of plain tuples, each value converted by the column type's own bind
    processor, so the stored text is exactly what SQLAlchemy would store, without its per-row dictionary
    handling."""
    _executemany(conn, t.transactions, rows.TRANSACTION_COLUMNS, [(r[0], *r[2:]) for r in rows.transactions])
    _executemany(conn, t.legs, rows.LEG_COLUMNS, [(p, s, tx, prev, h) for p, s, tx, _, prev, h in rows.legs])
    _executemany(conn, t.postings, rows.POSTING_COLUMNS, [(p, s, i, a.id, m) for p, s, i, a, m in rows.postings])
    _executemany(conn, t.transaction_metadata, rows.METADATA_COLUMNS, [(k, v, tx) for k, v, tx, _ in rows.metadata])


def _executemany(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    placeholders = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608 - our names
        _bound(conn, table, columns, rows),
    )


def _bound(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[Any]:
    """Rows with each value as the driver stores it, for a statement run with exec_driver_sql.

    Each column type's *dialect* implementation converts (e.g. SQLite's DATETIME writes no UTC offset and
    its UUID is 32 hex digits), as SQLAlchemy's compiled statements do: the generic type's processor
    would store other text. Plain tuples skip SQLAlchemy's per-row parameter handling.
    """
    dialect = conn.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    converting = [(i, f) for i, f in enumerate(processors) if f is not None]
    if not converting:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for i, convert in converting:
            values[i] = convert(values[i])
        converted.append(tuple(values))
    return converted


def _transaction_lines(
    rows: Sequence[tuple[uuid.UUID, str, str, str, dt.date, str, str, uuid.UUID | None, dt.datetime]],
) -> list[str]:
    stamps: dict[dt.datetime, str] = {}
    lines = []
    for _, tx_id, request_id, print_, value_date, description, metadata, reverses, created in rows:
        stamp = stamps.get(created)
        if stamp is None:
            stamp = stamps[created] = created.isoformat()
        lines.append(
            f"{tx_id}\t{copy_text(request_id)}\t{print_}\t{value_date}\t{copy_text(description)}\t"
            f"{copy_text(metadata)}\t{_NULL if reverses is None else reverses}\t{stamp}\n"
        )
    return lines


def _copy(cursor: Any, table: str, columns: Sequence[str], lines: list[str]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("".join(lines))


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
    conn.exec_driver_sql(  # one fixed statement: the same SQL every call, so the driver can prepare it
        "UPDATE balances SET posted = v.posted, pending_debits = v.pd, pending_credits = v.pc "
        "FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[]) AS v(account_id, posted, pd, pc) "
        "WHERE balances.account_id = v.account_id",
        tuple(list(column) for column in zip(*rows, strict=True)),
    )


def add_daily(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add each row's `delta` to the per-day total of (party_id, account_id, value_date), creating it if new."""
    if not rows:
        return
    # (PostgreSQL posts through ledger.pg_posting, which writes the per-day totals in its one statement.)
    if conn.dialect.name == "postgresql":
        raise NotImplementedError("per-day totals on PostgreSQL are written by ledger.pg_posting.write_state")
    columns = ("party_id", "account_id", "value_date", "delta")
    conn.exec_driver_sql(
        _SQLITE_ADD_DAILY, _bound(conn, t.daily_balances, columns, [tuple(r[c] for c in columns) for r in rows])
    )


#: SQLite: add a row's delta to its day's total, creating the row if new (one statement, executemany).
_SQLITE_ADD_DAILY = (
    "INSERT INTO daily_balances (party_id, account_id, value_date, delta) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (party_id, account_id, value_date) DO UPDATE SET delta = daily_balances.delta + excluded.delta"
)


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


#: PostgreSQL: per-day totals after a date, per account, in date order: one range scan of the primary key
#: (party_id, account_id, value_date) per account; in the common case (postings dated on the latest day)
#: it finds nothing. Its parameters: arrays of party ids, account ids and dates.
LATER_DAYS = (
    "SELECT d.account_id, d.value_date, d.delta "
    "FROM unnest(%s::varchar[], %s::uuid[], %s::date[]) AS v(party_id, account_id, after) "
    "JOIN daily_balances d ON d.party_id = v.party_id AND d.account_id = v.account_id AND d.value_date > v.after "
    "ORDER BY d.value_date"
)

#: SQLite: accounts per statement of `later_days` (three bound parameters each).
_LATER_CHUNK = 300


def later_days(
    conn: sa.Connection, since: Mapping[uuid.UUID, tuple[str, dt.date]]
) -> list[tuple[uuid.UUID, dt.date, int]]:
    """(account_id, value_date, delta) of each account's per-day totals dated after its date (`since`: account
    id → (party id, date)), in date order, in one query per few hundred accounts."""
    if not since:
        return []
    if conn.dialect.name == "postgresql":
        result = conn.exec_driver_sql(
            LATER_DAYS,
            (
                [party for party, _ in since.values()],
                list(since.keys()),
                [day for _, day in since.values()],
            ),
        )
        return [(r[0], r[1], r[2]) for r in result]
    # SQLite: the same OR of (party, account, later date) terms as a plain statement over values converted by
    # each column's dialect processor (as `running_totals`): building it as a SQLAlchemy expression cost
    # three expression objects per account, most of a 10,000-account revaluation (docs/performance.md).
    d = t.daily_balances
    items = list(since.items())
    bound = _bound(conn, d, ("party_id", "account_id", "value_date"), [(p, a, day) for a, (p, day) in items])
    account_of = {row[1]: account_id for row, (account_id, _) in zip(bound, items, strict=True)}
    dialect = conn.dialect
    to_date: Callable[[Any], Any] | None = d.c.value_date.type.dialect_impl(dialect).result_processor(dialect, None)
    found: list[tuple[uuid.UUID, dt.date, int]] = []
    for start in range(0, len(bound), _LATER_CHUNK):
        chunk = bound[start : start + _LATER_CHUNK]
        terms = " OR ".join(["(party_id = ? AND account_id = ? AND value_date > ?)"] * len(chunk))
        rows = conn.exec_driver_sql(
            f"SELECT account_id, value_date, delta FROM daily_balances WHERE {terms}",  # noqa: S608 - placeholders
            tuple(value for row in chunk for value in row),
        )
        found.extend((account_of[r[0]], to_date(r[1]) if to_date else r[1], int(r[2])) for r in rows)
    found.sort(key=lambda row: row[1])
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
    # SQLite: the ids as stored (the column type's own text), answered rows mapped back to the given UUIDs.
    by_key = {
        key: account
        for (key,), account in zip(
            _bound(conn, b, ("account_id",), [(a,) for a in account_ids]), account_ids, strict=True
        )
    }
    keys = list(by_key)
    found: list[tuple[uuid.UUID, int, int, int]] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = conn.exec_driver_sql(
            "SELECT account_id, posted, pending_debits, pending_credits FROM balances "  # noqa: S608 - placeholders
            f"WHERE account_id IN ({', '.join('?' * len(chunk))})",
            tuple(chunk),
        )
        found.extend((by_key[r[0]], r[1], r[2], r[3]) for r in rows)
    return found
