"""Database engines for SQLite (embedded default) and PostgreSQL, and the ledger's MetaData.

Schema migrations are the application's (server/database.py, server/migrations/): the tables of deals,
settlement and valuation share the ledger's MetaData (`metadata`, one naming convention) and one Alembic
history. `Instant` is the column type of every recorded instant (aware, UTC).

SQLite runs in WAL mode with synchronous=FULL (an acknowledged write survives a power cut) and every
writing unit of work starts with BEGIN IMMEDIATE, which takes SQLite's single write lock up front: the
moral equivalent of PostgreSQL's row locks on the books' heads, and the reason a read-then-write unit
cannot deadlock on lock upgrade. Readers use a second engine with plain deferred transactions so that
they never wait for a writer.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ledger import read_route
from ledger.schema import Instant, metadata

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "Engines",
    "Instant",
    "SessionLimits",
    "as_utc",
    "bound_lock_holder",
    "create_engines",
    "default_url",
    "metadata",
    "normalise_url",
    "transaction",
]

DEFAULT_SQLITE_PATH = "var/toudai.db"
STATEMENT_TIMEOUT_MS = 30_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
LOCK_TIMEOUT_MS = 20_000
LOCK_HOLD_TIMEOUT_MS = 5_000
LOCK_HOLD_MS_PER_TRANSACTION = 1.0
#: The size a holder of unknown size is given its hold limit for: the largest batch (ledger.validation.MAX_BATCH).
#: The middle layer locks books before it knows how much it will post (a revaluation of 10,000 deals).
UNKNOWN_SIZE_TRANSACTIONS = 10_000

#: Where a PostgreSQL connection keeps its SessionLimits (read by `bound_lock_holder`).
_LIMITS = "toudai.limits"


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """PostgreSQL's time limits on every connection of the server, in milliseconds (0: no limit).

    They exist so that one stalled process (paused, swapped out, partitioned from the database) cannot
    stall every writer of every replica: the books' head rows are locked by every posting, so a
    transaction that holds them and stops making progress blocks all writers of those books until the
    database ends it. docs/operations.md ("Time limits in the database") gives the reasoning per value.

    - `lock_timeout`: how long a statement waits for a row lock (a book's head) before giving up; the
      call is answered UNAVAILABLE (reason LOCK_TIMEOUT), nothing written, safe to retry with its
      request_id. Longer than the hold limit of the largest batch (below), so that a *stalled* holder,
      which the database ends first, delays the other writers but does not fail them.
    - `lock_hold_timeout` + `lock_hold_per_transaction` × the batch's transactions: from the moment a
      transaction has locked books' heads until it ends, each of its statements and each idle gap between
      them (posting's Python work) must be shorter than this, or PostgreSQL cancels the statement / ends
      the session, which rolls the transaction back and frees the locks. Posting's Python work between
      its read and its write grows with the batch (measured on the 2-core machine at load average 10:
      0.4 s for 1,000 transactions, 4.9 s for 10,000), so a flat limit small enough to bound a stall
      would end large batches on a busy machine: 5 s + 1 ms per transaction is 5 s for a single
      transfer and 15 s for a batch of 10,000 (and for the middle layer, which locks books before it
      knows how much it will post: `UNKNOWN_SIZE_TRANSACTIONS`).
    - `statement_timeout` and `idle_in_transaction`: the same bounds for everything else (reads, exports,
      the middle layer's work before it locks books), looser because nothing waits on those.
    """

    statement_timeout: int = STATEMENT_TIMEOUT_MS
    idle_in_transaction: int = IDLE_IN_TRANSACTION_TIMEOUT_MS
    lock_timeout: int = LOCK_TIMEOUT_MS
    lock_hold_timeout: int = LOCK_HOLD_TIMEOUT_MS
    lock_hold_per_transaction: float = LOCK_HOLD_MS_PER_TRANSACTION

    def options(self) -> str:
        """The libpq `options` that set the session-wide limits when a connection opens."""
        return (
            f"-c statement_timeout={self.statement_timeout} "
            f"-c idle_in_transaction_session_timeout={self.idle_in_transaction} "
            f"-c lock_timeout={self.lock_timeout}"
        )

    def hold_sql(self, transactions: int = 0) -> str | None:
        """The statement that tightens this transaction's limits once it holds books' locks for a batch of
        `transactions` (SET LOCAL: they revert when the transaction ends), or None when `lock_hold_timeout`
        is 0 (no extra bound)."""
        if self.lock_hold_timeout <= 0:
            return None
        value = str(self.lock_hold_timeout + round(self.lock_hold_per_transaction * max(0, transactions)))
        return (
            f"SELECT set_config('statement_timeout', '{value}', true), "
            f"set_config('idle_in_transaction_session_timeout', '{value}', true)"
        )


def as_utc(value: dt.datetime) -> dt.datetime:
    """An instant read back from the database, in UTC: SQLite returns naive datetimes (stored as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them to psycopg 3; leave others alone."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_url() -> str:
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


class Engines:
    """A writer engine (serialising units of work) and a reader engine on the same database.

    `reader` is the engine reads run on *now*: the own reader, or a hot standby while the server routes
    the current call's reads there (ledger.read_route, docs/operations.md "Read replicas").
    """

    __slots__ = ("_reader", "writer")

    def __init__(self, writer: sa.Engine, reader: sa.Engine) -> None:
        self.writer = writer
        self._reader = reader

    @property
    def reader(self) -> sa.Engine:
        return read_route.routed(self._reader)

    @property
    def primary_reader(self) -> sa.Engine:
        """The own reader on the primary database, whatever the current call is routed to."""
        return self._reader

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def dispose(self) -> None:
        self.writer.dispose()
        if self._reader is not self.writer:
            self._reader.dispose()


def create_engines(url: str, *, pool_size: int = 10, limits: SessionLimits | None = None) -> Engines:
    """Create the engines for `url` (sqlite:///path or postgresql://...); `limits` are PostgreSQL's."""
    url = normalise_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise ValueError("toudai needs a SQLite database file, not an in-memory database")
        pathlib.Path(database).parent.mkdir(parents=True, exist_ok=True)
        return Engines(
            writer=_sqlite_engine(url, immediate=True),
            reader=_sqlite_engine(url, immediate=False),
        )
    if parsed.get_backend_name() == "postgresql":
        limits = limits or SessionLimits()
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": 10,
                "application_name": "toudai",
                # Bounds on any one call's time in the database (SessionLimits; docs/operations.md, "Time
                # limits in the database"), so that a hung or partitioned server's book locks cannot stall
                # the other replicas for long.
                # plan_cache_mode: psycopg prepares a statement run five times; PostgreSQL may then switch it
                # to a generic plan, which cannot see how long an `= ANY(array)` parameter is and, for a
                # large batch of request ids, chose a much slower plan than the custom one
                # (docs/performance.md). Custom plans keep the saved parse and plan with the real values.
                "options": f"{limits.options()} -c plan_cache_mode=force_custom_plan",
            },
        )
        chosen = limits

        @sa.event.listens_for(engine, "connect")
        def _on_connect(_dbapi_connection: Any, record: Any) -> None:
            record.info[_LIMITS] = chosen  # read by bound_lock_holder on this connection

        return Engines(writer=engine, reader=engine)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def bound_lock_holder(conn: sa.Connection, transactions: int = UNKNOWN_SIZE_TRANSACTIONS) -> str | None:
    """The statement to run right after this transaction has locked books' heads for a batch of
    `transactions` (by default: a holder of unknown size, given the largest batch's limit), or None.

    Run it *after* the lock is granted, not before: a statement's lock wait counts towards its
    statement_timeout, and the wait is `lock_timeout`'s to bound. ledger/posting_state.py and
    ledger/pg_posting.py run it; SQLite (one process, one file lock) has nothing to run.
    """
    if conn.dialect.name != "postgresql":
        return None
    limits: SessionLimits | None = conn.info.get(_LIMITS)
    return limits.hold_sql(transactions) if limits is not None else None


def _sqlite_engine(url: str, *, immediate: bool) -> sa.Engine:
    engine = sa.create_engine(url, pool_size=8, max_overflow=8, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One database transaction (BEGIN IMMEDIATE on the SQLite writer)."""
    with engine.begin() as connection:
        yield connection
