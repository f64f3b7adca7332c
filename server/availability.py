"""Serving while the database is away: start-up that waits for it, and health that follows it.

A server started before its database (a host reboot that brings both up, a PostgreSQL failover, a
Kubernetes pod scheduled before the database's) used to exit with "cannot open the database:
Connection refused" and leave the restarting to a process manager. It now starts listening at once and:

- answers grpc.health.v1 NOT_SERVING, and every toudai RPC UNAVAILABLE (reason DATABASE_NOT_READY,
  "the database is not reachable yet, retrying"), so load balancers route elsewhere and clients retry;
- tries to open (migrate or check) the database again with capped exponential back-off, logging each
  failure with the time of the next attempt (`Backoff`, `open_database`);
- then switches health to SERVING and lets calls through (`DatabaseGate.open`).

An error that waiting cannot fix stops the server at once with a message instead (`is_permanent`): a URL
that is not sqlite/postgresql (refused before listening), a database or role that does not exist, a
wrong password, a schema revision this code does not know. docs/operations.md ("Start-up and the
database") says why each is treated as it is.

While running, `DatabaseWatch` probes the database on a connection of its own every few seconds and
reports NOT_SERVING while the probe fails, SERVING again once it succeeds: health then says what real
calls would find (they answer UNAVAILABLE during an outage on their own, ledger.unit_of_work).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable, Iterable
from typing import Any

import grpc
import sqlalchemy as sa
from grpc_health.v1 import health, health_pb2
from sqlalchemy import exc as sa_exc

from ledger.errors import StoreUnavailable
from server.errors import abort_with, to_status
from server.handlers import HandlerInterceptor, wrap_handler

log = logging.getLogger("toudai.server")

__all__ = [
    "Backoff",
    "DatabaseGate",
    "DatabaseWatch",
    "is_permanent",
    "open_database",
    "set_health",
]

#: First wait after a failed attempt, and the longest wait between attempts (seconds).
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
#: How often a running server probes its database for its health status, and the probe's connect bound.
WATCH_INTERVAL_SECONDS = 5.0
PROBE_CONNECT_TIMEOUT_SECONDS = 3

#: What PostgreSQL (English messages) says when no retry can help: the database or the role does not
#: exist, or the password is wrong. Anything else (refused, reset, timed out, "the database system is
#: starting up", too many connections, a name that does not resolve yet) is worth another attempt.
_PERMANENT_MESSAGES = (
    "does not exist",  # database "x" does not exist / role "x" does not exist
    "password authentication failed",
)

#: Calls that answer whatever the database's state: health (probes must see NOT_SERVING) and reflection.
_ALWAYS_ANSWERED = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def is_permanent(error: BaseException) -> bool:
    """True when opening the database failed in a way that waiting will not fix (see the module docstring)."""
    if not isinstance(error, sa_exc.OperationalError):
        return True  # not a connection problem: a bad URL parameter, a failed migration, an unknown schema
    text = str(error.orig if error.orig is not None else error).lower()
    return any(message in text for message in _PERMANENT_MESSAGES)


class Backoff:
    """Capped exponential back-off with jitter: `first`, then doubling, never above `cap` (seconds).

    Each wait is drawn between half and all of the current step, so that replicas started together do not
    retry in lock step against a database that is just coming up.
    """

    def __init__(
        self, first: float = FIRST_RETRY_SECONDS, cap: float = MAX_RETRY_SECONDS, *, jitter: bool = True
    ) -> None:
        if first <= 0 or cap < first:
            raise ValueError(f"back-off needs 0 < first <= cap (got first={first}, cap={cap})")
        self._step = first
        self._cap = cap
        self._jitter = jitter

    def next_delay(self) -> float:
        delay = self._step * (random.uniform(0.5, 1.0) if self._jitter else 1.0)
        self._step = min(self._cap, self._step * 2)
        return delay


def set_health(servicer: health.HealthServicer, names: Iterable[str], serving: bool) -> None:
    """Report every service in `names` (and the whole server, "") as SERVING or NOT_SERVING."""
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in (*names, ""):
        servicer.set(name, status)


class DatabaseGate(HandlerInterceptor):
    """Refuses every toudai call with UNAVAILABLE until the database is open; then costs one bool test.

    It sits outside the auth interceptor (which looks parties up in the database) and inside the error
    and log interceptor, so that refusals are logged and counted like any other answer.
    """

    def __init__(self) -> None:
        self._open = False
        self._reason = "the database is not reachable yet, retrying"

    @property
    def is_open(self) -> bool:
        return self._open

    def waiting(self, reason: str) -> None:
        """Update what refused calls are told (e.g. the next attempt's time)."""
        self._reason = reason

    def open(self) -> None:
        self._open = True

    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        if self._open or details.method.startswith(_ALWAYS_ANSWERED):
            return handler
        reason = self._reason

        def refuse(_request: Any, context: grpc.ServicerContext) -> Any:
            error = StoreUnavailable(f"{reason}; retry later with the same request_id", reason="DATABASE_NOT_READY")
            abort_with(context, to_status(error))

        # Unary calls and server streams alike (toudai has no client-streaming calls).
        return wrap_handler(handler, unary=lambda _: refuse, stream=lambda _: refuse)


def open_database(
    attempt: Callable[[], None],
    *,
    stopping: threading.Event,
    gate: DatabaseGate,
    backoff: Backoff | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> bool:
    """Run `attempt` (open and migrate) until it succeeds (True) or `stopping` is set (False).

    A permanent failure (`is_permanent`) is raised at once. Every other failure is logged at WARNING with
    the time of the next attempt, which refused calls are told too.
    """
    backoff = backoff or Backoff()
    failures = 0
    while not stopping.is_set():
        try:
            attempt()
        except Exception as error:
            if is_permanent(error):
                raise
            failures += 1
            delay = backoff.next_delay()
            at = (clock() + dt.timedelta(seconds=delay)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            first_line = str(error.orig if isinstance(error, sa_exc.DBAPIError) else error).splitlines()[0]
            log.warning(
                "the database is not reachable (attempt %d: %s); retrying in %.1f s, at %s",
                failures,
                first_line,
                delay,
                at,
            )
            gate.waiting(f"the database is not reachable yet, retrying (next attempt at {at})")
            stopping.wait(delay)
            continue
        if failures:
            log.info("the database is reachable after %d failed attempt(s)", failures)
        return True
    return False


class DatabaseWatch(threading.Thread):
    """Probes the database every `interval` seconds and keeps health in step with the answer.

    The probe opens a connection of its own (not one from the server's pool, which may be busy with a
    long batch and would make a healthy database look down) and runs `SELECT 1`.
    """

    def __init__(
        self,
        url: sa.URL,
        on_change: Callable[[bool], None],
        interval: float = WATCH_INTERVAL_SECONDS,
    ) -> None:
        super().__init__(name="toudai-database-watch", daemon=True)
        self._engine = sa.create_engine(
            url, poolclass=sa.NullPool, connect_args={"connect_timeout": PROBE_CONNECT_TIMEOUT_SECONDS}
        )
        self._on_change = on_change
        self._interval = interval
        self._stop_event = threading.Event()
        self.reachable = True

    def probe(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except sa_exc.SQLAlchemyError as error:
            if self.reachable:
                log.warning("the database is not reachable (%s); health reports NOT_SERVING", _first_line(error))
            return False
        if not self.reachable:
            log.info("the database is reachable again; health reports SERVING")
        return True

    def run(self) -> None:
        while not self._stop_event.wait(self._interval):
            reachable = self.probe()
            if reachable != self.reachable:
                self.reachable = reachable
                self._on_change(reachable)

    def stop(self) -> None:
        self._stop_event.set()
        self._engine.dispose()


def _first_line(error: sa_exc.SQLAlchemyError) -> str:
    orig = getattr(error, "orig", None)
    return str(orig if orig is not None else error).splitlines()[0]
