"""Consistency tokens: a position in the primary's write-ahead log that a later read must see.

A write's answer carries the primary's WAL position read *after* the write committed
(`pg_current_wal_lsn()`); with `synchronous_commit = on` the commit record has been written and flushed
before COMMIT returns, so that position is at or past the commit's end. A standby whose
`pg_last_wal_replay_lsn()` is at or past the token has replayed the write, and a read there sees it
(docs/operations.md, "Read replicas").

PostgreSQL does not hand a transaction its own commit LSN cheaply (PostgreSQL 15 has no such function),
so the position is one extra statement per write. `CommitPositions` shares that statement between
concurrent writers: a caller waits for a read that *started after it called* (so after its commit) and
takes that read's answer, so under load one query serves every write that finished meanwhile. The
token is therefore never older than the write, possibly a little newer (harmless: a standby must then
have replayed slightly more before it serves the read).

Tokens travel as PostgreSQL's own text form of an LSN, `X/Y` in hexadecimal (e.g. `0/16B3748`).
"""

from __future__ import annotations

import contextlib
import re
import threading

import sqlalchemy as sa

__all__ = ["CommitPositions", "format_lsn", "parse_lsn"]

_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")


def parse_lsn(text: str) -> int:
    """`X/Y` (PostgreSQL's pg_lsn text) as a 64-bit integer; ValueError for anything else."""
    match = _LSN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a WAL position of the form X/Y in hexadecimal (e.g. 0/16B3748)")
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(position: int) -> str:
    """A 64-bit WAL position in PostgreSQL's text form (the inverse of `parse_lsn`)."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def current_wal_lsn(connection: sa.Connection) -> int:
    """The primary's current WAL write position."""
    return parse_lsn(str(connection.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar_one()))


class CommitPositions:
    """The primary's WAL position after a caller's commit, with concurrent callers sharing one query.

    One query at a time runs, so one connection of its own suffices, kept open in autocommit (no
    transaction held open, and none of the pool's check-out ping, which would double the round trips);
    after an error it is closed and the next caller opens a new one.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._connection: sa.Connection | None = None
        self._lock = threading.Condition()
        self._started = 0  # reads started so far (numbered 1, 2, ...)
        self._finished = 0  # the number of the newest read that has answered
        self._position = 0  # its answer
        self._reading = False
        self.queries = 0  # statements actually sent (for measurements)

    def after_commit(self) -> int:
        """A WAL position at or past everything committed before this call (raises on database errors)."""
        with self._lock:
            before = self._started  # any read numbered above this started after we were called
            while True:
                if self._finished > before:
                    return self._position
                if not self._reading:
                    self._reading = True
                    self._started += 1
                    number = self._started
                    break
                self._lock.wait()
        try:
            if self._connection is None:  # only the one reader touches it
                self._connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            position = current_wal_lsn(self._connection)
        except BaseException:
            self.close()
            with self._lock:
                self._reading = False
                self._lock.notify_all()  # a waiter becomes the next reader
            raise
        with self._lock:
            self._reading = False
            self.queries += 1
            self._finished = number
            self._position = max(self._position, position)
            self._lock.notify_all()
        return position

    def close(self) -> None:
        """Give the connection back (a later call opens another)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to give back
                connection.close()
