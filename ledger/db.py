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

from ledger.schema import Instant, metadata

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "Engines",
    "Instant",
    "as_utc",
    "create_engines",
    "default_url",
    "metadata",
    "normalise_url",
    "transaction",
]

DEFAULT_SQLITE_PATH = "var/toudai.db"
STATEMENT_TIMEOUT_MS = 30_000
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000


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


@dataclass(frozen=True, slots=True)
class Engines:
    """A writer engine (serialising units of work) and a reader engine on the same database."""

    writer: sa.Engine
    reader: sa.Engine

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


def create_engines(url: str, *, pool_size: int = 10) -> Engines:
    """Create the engines for `url` (sqlite:///path or postgresql://...)."""
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
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": 10,
                "application_name": "toudai",
                # Bounds on any one call's time in the database (docs/operations.md, "Limits"): a statement
                # (lock waits included) is cancelled after 30 s, a transaction left idle by a hung or
                # partitioned server after 60 s, so its book locks cannot stall the other replicas.
                # plan_cache_mode: psycopg prepares a statement run five times; PostgreSQL may then switch it
                # to a generic plan, which cannot see how long an `= ANY(array)` parameter is and, for a
                # large batch of request ids, chose a much slower plan than the custom one
                # (docs/performance.md). Custom plans keep the saved parse and plan with the real values.
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
                f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS} "
                "-c plan_cache_mode=force_custom_plan",
            },
        )
        return Engines(writer=engine, reader=engine)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


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
