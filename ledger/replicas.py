"""Hot standbys of the primary PostgreSQL, and which of them may serve a read now.

A `ReplicaSet` holds one engine per standby (PostgreSQL's own streaming replication keeps them; toudai
never writes to them) and answers one question per read: which standby has what this read must see,
if any? `choose(token)`:

- with a token (a WAL position, ledger.consistency): a standby whose replayed position is at or past
  it. The position last observed is tried first; if no standby is known to be far enough, each
  reachable standby is asked once (`pg_last_wal_replay_lsn()`, one round trip) before giving up;
- without a token: a standby known to be at most `max_lag` seconds behind the primary;
- otherwise None: the caller reads from the primary. A read never fails because of a standby.

How "at most `max_lag` behind" is known, without trusting clocks across machines or
`pg_last_xact_replay_timestamp()` (which grows on an idle primary although nothing is missing): every
`probe_interval` seconds a probe thread notes the monotonic time t, then reads the primary's
`pg_current_wal_lsn()` L (every commit finished before t ends at or before L) and each standby's replay
position. A standby that has replayed L has everything committed before t, so its staleness is at
most now - t for the newest such sample; the samples of the last few seconds are kept for this.

A standby that cannot be reached (connection refused or lost, timeout) or that is no longer in
recovery (promoted: reading there could show a diverging history) is skipped for a back-off of
`backoff` seconds, doubling per consecutive failure up to `max_backoff`, and logged once per outage;
the probe thread retries it when the back-off has passed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa

from ledger.consistency import current_wal_lsn, parse_lsn
from ledger.db import normalise_url
from ledger.errors import StoreUnavailable
from ledger.unit_of_work import is_unavailable

__all__ = ["DEFAULT_MAX_LAG", "ReplicaSet", "Standby", "standby_broke", "standby_engine"]

log = logging.getLogger(__name__)

DEFAULT_MAX_LAG = 1.0
DEFAULT_PROBE_INTERVAL = 0.1
DEFAULT_BACKOFF = 1.0
DEFAULT_MAX_BACKOFF = 30.0
CONNECT_TIMEOUT_S = 2  # a standby that does not answer must not hold a read for long: the primary can
STATEMENT_TIMEOUT_MS = 30_000  # as on the primary (ledger.db)


def standby_engine(url: str, *, pool_size: int = 5) -> sa.Engine:
    """An engine on a standby: read-only sessions, a short connect timeout, the primary's statement bound."""
    return sa.create_engine(
        normalise_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "toudai-replica-read",
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c default_transaction_read_only=on "
            "-c plan_cache_mode=force_custom_plan",
        },
    )


def standby_broke(error: BaseException) -> bool:
    """Whether a read that failed on a standby says the standby itself is unusable (connection refused or
    lost, timed out), so that it goes into back-off, rather than that one query failed there."""
    cause = error.__cause__ if isinstance(error, StoreUnavailable) else error
    if isinstance(cause, sa.exc.DBAPIError):
        return is_unavailable(cause)
    return isinstance(cause, psycopg.OperationalError)


@dataclass(eq=False, slots=True)
class Standby:
    """One standby and what is known about it (guarded by the ReplicaSet's lock)."""

    name: str  # "replica-1", ... in --read-replica order: what the x-toudai-served-by header says
    engine: sa.Engine
    replayed: int = 0  # the newest replay position observed
    fresh_as_of: float | None = None  # monotonic time before which every commit is replayed here
    down_until: float = 0.0
    failures: int = 0


class ReplicaSet:
    """The standbys of one primary, probed in the background; `choose` picks one for a read."""

    def __init__(
        self,
        primary: sa.Engine,
        standbys: Sequence[tuple[str, sa.Engine]],
        *,
        max_lag: float = DEFAULT_MAX_LAG,
        probe_interval: float = DEFAULT_PROBE_INTERVAL,
        backoff: float = DEFAULT_BACKOFF,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_lag < 0:
            raise ValueError("max_lag must not be negative")
        self._primary = primary
        self.standbys = [Standby(name, engine) for name, engine in standbys]
        self.max_lag = max_lag
        self.probe_interval = probe_interval
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._clock = clock
        self._lock = threading.Lock()
        # (t, primary position read after t); enough to look max_lag back and some.
        keep = max(8, int((max_lag + 2.0) / max(probe_interval, 0.01)) + 2)
        self._samples: deque[tuple[float, int]] = deque(maxlen=keep)
        self._next = 0  # round robin among eligible standbys
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_urls(cls, primary: sa.Engine, urls: Sequence[str], **options: float) -> ReplicaSet:
        """Standbys named replica-1, replica-2, ... in the order given."""
        engines = [(f"replica-{i}", standby_engine(url)) for i, url in enumerate(urls, start=1)]
        return cls(primary, engines, **options)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ choosing

    def choose(self, token: int | None) -> Standby | None:
        """A standby that may serve a read presenting `token` (None: no token), or None for the primary."""
        now = self._clock()
        with self._lock:
            up = [s for s in self.standbys if s.down_until <= now]
            if not up:
                return None
            start = self._next % len(up)
            self._next += 1
            ordered = up[start:] + up[:start]
            for standby in ordered:
                if token is not None and standby.replayed >= token:
                    return standby
                if token is None and standby.fresh_as_of is not None and now - standby.fresh_as_of <= self.max_lag:
                    return standby
        if token is None:
            return None
        for standby in ordered:  # known positions are not enough: ask each standby once
            position = self._replay_position(standby)
            if position is not None and position >= token:
                return standby
        return None

    def mark_failed(self, standby: Standby, error: BaseException) -> None:
        """Skip `standby` for a back-off after a read or probe on it failed for want of the standby."""
        now = self._clock()
        with self._lock:
            standby.failures += 1
            delay = min(self._max_backoff, self._backoff * 2 ** (standby.failures - 1))
            standby.down_until = now + delay
            standby.fresh_as_of = None
            first = standby.failures == 1
        if first:
            log.warning("read replica %s unavailable (%s); reading from the primary instead", standby.name, error)
        log.debug("read replica %s skipped for %.1f s", standby.name, delay)

    # ------------------------------------------------------------------ probing

    def _replay_position(self, standby: Standby) -> int | None:
        """Ask `standby` how far it has replayed (None, and a back-off, if it cannot answer)."""
        try:
            with standby.engine.connect() as connection:
                row = connection.exec_driver_sql("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text").one()
        except sa.exc.DBAPIError as error:
            self.mark_failed(standby, error.orig or error)
            return None
        in_recovery, replayed = bool(row[0]), row[1]
        if not in_recovery or replayed is None:
            self.mark_failed(standby, RuntimeError("it is not a standby in recovery (promoted?)"))
            return None
        position = parse_lsn(str(replayed))
        with self._lock:
            if standby.failures:
                log.warning("read replica %s is back", standby.name)
            standby.failures = 0
            standby.down_until = 0.0
            standby.replayed = max(standby.replayed, position)
            # The newest sample the standby has replayed bounds its staleness.
            for at, primary_position in reversed(self._samples):
                if primary_position <= position:
                    standby.fresh_as_of = max(standby.fresh_as_of or at, at)
                    break
        return position

    def probe(self) -> None:
        """One probe: the primary's position (a sample), then every standby not in back-off."""
        at = self._clock()
        try:
            with self._primary.connect() as connection:
                position = current_wal_lsn(connection)
        except sa.exc.DBAPIError as error:
            log.debug("probing the primary's WAL position failed: %s", error.orig)
        else:
            with self._lock:
                self._samples.append((at, position))
        now = self._clock()
        for standby in self.standbys:
            if standby.down_until <= now:
                self._replay_position(standby)

    def start(self) -> None:
        """Probe every `probe_interval` seconds in a daemon thread (a first probe runs before returning)."""
        self.probe()
        self._thread = threading.Thread(target=self._loop, name="toudai-replica-probe", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.probe_interval):
            try:
                self.probe()
            except Exception:
                log.exception("probing the read replicas failed; will try again")

    def stop(self) -> None:
        """Stop probing and close the standbys' connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for standby in self.standbys:
            standby.engine.dispose()
