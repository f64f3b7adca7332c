"""Running a write as one retryable database transaction, and translating database failures.

Every write is a function of a connection, run inside one database transaction. If the database
reports a serialization failure, a deadlock, a busy SQLite file or a lost race on a unique key, the
whole function runs again from the start: it re-reads everything it decides on, so a retry is safe.
This is also what a later move to distributed SQL would need (retries are mandatory there).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ledger.errors import Conflict, LedgerError, StoreUnavailable

log = logging.getLogger(__name__)

R = TypeVar("R")

MAX_ATTEMPTS = 8
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
#: lock_not_available: the call waited `lock_timeout` for a lock (ledger.db.SessionLimits). Not retried here:
#: it has already waited its bound, and another wait would stretch the bound an operator configured.
LOCK_TIMEOUT_SQLSTATE = "55P03"


class AfterCommit(Exception):
    """Raised inside a unit of work to commit what was done, then raise `error` to the caller.

    Used where the right outcome is both a state change and an error, e.g. capturing an expired hold
    releases it (committed) and then refuses the capture.
    """

    def __init__(self, error: LedgerError) -> None:
        super().__init__(str(error))
        self.error = error


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)


def is_retryable(error: sa_exc.DBAPIError) -> bool:
    state = _sqlstate(error)
    if state in _RETRYABLE_SQLSTATES:
        return True
    text = str(error.orig).lower()
    if "database is locked" in text or "database is busy" in text:
        return True
    return isinstance(error, sa_exc.IntegrityError) and "unique" in text


def is_unavailable(error: sa_exc.DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    state = _sqlstate(error) or ""
    return (
        state.startswith("08")
        or state in {"57P01", "57P02", "57P03", "57014", "25P03", LOCK_TIMEOUT_SQLSTATE}  # ledger.db.SessionLimits
        or (isinstance(error, sa_exc.OperationalError) and state == "" and "sqlite" not in type(error.orig).__module__)
    )


def unavailable(error: sa_exc.DBAPIError) -> StoreUnavailable:
    """The UNAVAILABLE answer for a write the database ended, saying why when the database said so."""
    state = _sqlstate(error)
    if state == LOCK_TIMEOUT_SQLSTATE:
        return StoreUnavailable(
            "another writer held a lock this call needs (a book's head) for longer than the database's lock_timeout; "
            "nothing was written: retry with the same request_id",
            reason="LOCK_TIMEOUT",
        )
    if state == "57014":
        return StoreUnavailable(
            "the database cancelled a statement of this call that ran longer than its time limit; nothing was "
            "written: retry with the same request_id",
            reason="STATEMENT_TIMEOUT",
        )
    return StoreUnavailable("the database is unavailable; retry with the same request_id")


def run(engine: sa.Engine, work: Callable[[sa.Connection], R], *, what: str = "write") -> R:
    """Run `work` in one transaction on `engine`, retrying it whole on transient conflicts."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deferred: LedgerError | None = None
        try:
            with engine.begin() as connection:
                try:
                    return work(connection)
                except AfterCommit as signal:
                    deferred = signal.error
        except sa_exc.DBAPIError as error:
            if is_retryable(error) and attempt < MAX_ATTEMPTS:
                delay = min(0.2, 0.002 * 2**attempt) * random.uniform(0.5, 1.5)
                log.debug("retrying %s after %s (attempt %d)", what, error.orig, attempt)
                time.sleep(delay)
                continue
            if is_unavailable(error):
                raise unavailable(error) from error
            if is_retryable(error):
                raise Conflict(
                    f"{what} kept conflicting with concurrent writers; retry with the same request_id"
                ) from error
            raise
        if deferred is not None:
            raise deferred
    raise AssertionError("unreachable")  # pragma: no cover


def read(engine: sa.Engine, work: Callable[[sa.Connection], R]) -> R:
    """Run a read in one transaction (a consistent snapshot on PostgreSQL's REPEATABLE READ is not needed:
    every read here is a single statement or tolerant of concurrent appends)."""
    try:
        with engine.connect() as connection:
            return work(connection)
    except sa_exc.DBAPIError as error:
        if is_unavailable(error) or is_retryable(error):
            raise StoreUnavailable("the database is unavailable; retry later") from error
        raise
