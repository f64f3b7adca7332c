"""Read replicas at the edge: consistency tokens on writes, and reads routed to hot standbys.

With `toudai serve --read-replica DSN` (PostgreSQL only), this interceptor, innermost (after
authentication, so the caller's checks read the primary), does two things (docs/operations.md "Read
replicas", docs/api.md "Consistency tokens"):

- every successful call of a mutating RPC (server.auth.POLICY marks them `write`) answers with the
  trailing metadata `x-toudai-consistency-token: X/Y`, the primary's WAL position after the commit
  (ledger.consistency);
- a call of a routed read (`ROUTED_READS`) runs its reads on the standby ledger.replicas chooses for the
  token the call presents in its metadata under the same key (none: a standby within the lag bound),
  else on the primary, and answers with `x-toudai-served-by: primary | replica-N`. A unary read whose
  standby fails is run again on the primary (reads have no effects), so it never fails because of a
  standby; an export is started only after its standby has answered, and one whose standby vanishes
  mid-stream ends UNAVAILABLE (a retry goes to the primary: the standby is then in back-off).

Metadata rather than a field in every response and request message: the token concerns the session,
not a resource; it applies to every read RPC alike, including server streams; and gRPC clients in
every language read and send metadata without a proto change. A malformed token is refused
INVALID_ARGUMENT with a BadRequest naming the header.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import grpc
import psycopg
import sqlalchemy as sa

from ledger.consistency import CommitPositions, format_lsn, parse_lsn
from ledger.db import Engines
from ledger.errors import InvalidArgument, StoreUnavailable
from ledger.read_route import reads_on
from ledger.replicas import DEFAULT_MAX_LAG, ReplicaSet, Standby, standby_broke
from server.auth import POLICY, Rule
from server.errors import abort_with, to_status
from server.handlers import HandlerInterceptor, wrap_handler

__all__ = ["ROUTED_READS", "SERVED_BY_HEADER", "TOKEN_HEADER", "ReadRouter", "read_router_for"]

log = logging.getLogger(__name__)

TOKEN_HEADER = "x-toudai-consistency-token"  # noqa: S105 - a metadata key, not a secret
SERVED_BY_HEADER = "x-toudai-served-by"
PRIMARY = "primary"

#: The reads a standby may serve: the ledger's balances, journal and accounts, and the audit reads behind
#: exports, trial balances, chain checks and the HTML report. Not routed: checkpoints and proofs (a signed
#: statement about the books' heads "now" should be the primary's), the live journal feed (it follows
#: the head), and the other services' reads (not measured yet; they stay on the primary).
ROUTED_READS = frozenset(
    {
        "/toudai.v1.LedgerService/GetAccount",
        "/toudai.v1.LedgerService/ListAccounts",
        "/toudai.v1.LedgerService/GetTransaction",
        "/toudai.v1.LedgerService/ListTransactions",
        "/toudai.v1.LedgerService/GetBalance",
        "/toudai.v1.LedgerService/BatchGetBalances",
        "/toudai.v1.AuditService/ExportJournal",
        "/toudai.v1.AuditService/TrialBalance",
        "/toudai.v1.AuditService/VerifyChain",
        "/toudai.v1.AuditService/GetChainHead",
        "/toudai.v1.AuditService/GetBalanceHistory",
    }
)


def _token_of(metadata: Any) -> tuple[int | None, InvalidArgument | None]:
    """The token a call presents (None when absent), or the error that refuses a malformed one."""
    for key, value in metadata or ():
        if key == TOKEN_HEADER:
            text = value.decode() if isinstance(value, bytes) else str(value)
            try:
                return parse_lsn(text), None
            except ValueError as error:
                return None, InvalidArgument.one(
                    f"metadata[{TOKEN_HEADER}]",
                    f"{error}; send the token a write answered with, unchanged, or leave the header out",
                    "INVALID_CONSISTENCY_TOKEN",
                )
    return None, None


_STANDBY_ERRORS = (StoreUnavailable, sa.exc.DBAPIError, psycopg.Error)


class ReadRouter(HandlerInterceptor):
    """Tokens on writes, standbys for reads (see the module docstring)."""

    def __init__(
        self,
        primary_reader: sa.Engine,
        replicas: ReplicaSet,
        positions: CommitPositions,
        *,
        policy: Mapping[str, Rule] = POLICY,
        on_served: Callable[[str, str], None] | None = None,
    ) -> None:
        self._primary = primary_reader
        self._replicas = replicas
        self._positions = positions
        self._writes = frozenset(m for m, rule in policy.items() if rule.write)
        self._lock = threading.Lock()
        self.served: Counter[str] = Counter()  # by "primary" / "replica-N"
        self._on_served = on_served

    @property
    def replicas(self) -> ReplicaSet:
        return self._replicas

    def stop(self) -> None:
        """Stop probing the standbys and close their connections (and the token's)."""
        self._replicas.stop()
        self._positions.close()

    def _note(self, method: str, where: str) -> None:
        with self._lock:
            self.served[where] += 1
        if self._on_served is not None:
            self._on_served(method, where)

    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = details.method
        if method in self._writes and handler.unary_unary is not None:
            return wrap_handler(handler, unary=self._with_token)
        if method not in ROUTED_READS:
            return handler
        token, refusal = _token_of(details.invocation_metadata)
        return wrap_handler(
            handler,
            unary=lambda behaviour: self._routed_unary(method, behaviour, token, refusal),
            stream=lambda behaviour: self._routed_stream(method, behaviour, token, refusal),
        )

    # ------------------------------------------------------------------ writes

    def _with_token(self, behaviour: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[..., Any]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            response = behaviour(request, context)
            try:
                position = self._positions.after_commit()
            except Exception as error:  # the write stands; the caller reads from the primary without a token
                log.warning("could not read the WAL position for a consistency token: %s", error)
                return response
            context.set_trailing_metadata(((TOKEN_HEADER, format_lsn(position)),))
            return response

        return wrapped

    # ------------------------------------------------------------------ reads

    def _routed_unary(
        self,
        method: str,
        behaviour: Callable[[Any, grpc.ServicerContext], Any],
        token: int | None,
        refusal: InvalidArgument | None,
    ) -> Callable[..., Any]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            if refusal is not None:
                abort_with(context, to_status(refusal))
            standby = self._replicas.choose(token)
            if standby is not None:
                try:
                    with reads_on(self._primary, standby.engine):
                        response = behaviour(request, context)
                except _STANDBY_ERRORS as error:
                    self._fall_back(method, standby, error)
                else:
                    self._served_by(context, method, standby.name)
                    return response
            self._served_by(context, method, PRIMARY)
            return behaviour(request, context)

        return wrapped

    def _routed_stream(
        self,
        method: str,
        behaviour: Callable[[Any, grpc.ServicerContext], Iterator[Any]],
        token: int | None,
        refusal: InvalidArgument | None,
    ) -> Callable[..., Iterator[Any]]:
        def wrapped(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            if refusal is not None:
                abort_with(context, to_status(refusal))
            standby = self._replicas.choose(token)
            if standby is not None and not self._answers(standby):
                standby = None
            if standby is None:
                self._served_by(context, method, PRIMARY)
                yield from behaviour(request, context)
                return
            self._served_by(context, method, standby.name)
            # Route only while the servicer's generator runs: between messages this thread may serve
            # nothing else, but keeping the route set no longer than needed costs nothing.
            with reads_on(self._primary, standby.engine):
                iterator = iter(behaviour(request, context))
            try:
                while True:
                    with reads_on(self._primary, standby.engine):
                        try:
                            message = next(iterator)
                        except StopIteration:
                            return
                    yield message
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()

        return wrapped

    def _answers(self, standby: Standby) -> bool:
        """A stream cannot be re-run once started: check that its standby answers first."""
        try:
            with standby.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except sa.exc.DBAPIError as error:
            self._replicas.mark_failed(standby, error.orig or error)
            return False
        return True

    def _fall_back(self, method: str, standby: Standby, error: BaseException) -> None:
        if standby_broke(error):
            self._replicas.mark_failed(standby, error.__cause__ or error)
        else:
            log.warning("%s failed on read replica %s (%s); answering from the primary", method, standby.name, error)

    def _served_by(self, context: grpc.ServicerContext, method: str, where: str) -> None:
        context.set_trailing_metadata(((SERVED_BY_HEADER, where),))
        self._note(method, where)


def read_router_for(
    engines: Engines,
    urls: Sequence[str],
    *,
    max_lag: float = DEFAULT_MAX_LAG,
    probe_interval: float | None = None,
    on_served: Callable[[str, str], None] | None = None,
) -> ReadRouter | None:
    """The router for `toudai serve --read-replica URL ...` (None without URLs), its standbys probed from now.

    Raises ValueError on SQLite: SQLite has no standbys (one file, one process)."""
    if not urls:
        return None
    if engines.dialect != "postgresql":
        raise ValueError("--read-replica needs a PostgreSQL database: the standbys replicate a PostgreSQL primary")
    options = {"max_lag": max_lag} | ({"probe_interval": probe_interval} if probe_interval is not None else {})
    replicas = ReplicaSet.from_urls(engines.writer, urls, **options)
    replicas.start()
    log.info("reads may be served by %d hot standby(s), at most %.3g s behind", len(urls), max_lag)
    return ReadRouter(engines.primary_reader, replicas, CommitPositions(engines.writer), on_served=on_served)
