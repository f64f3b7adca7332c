"""Building and running the toudai gRPC server.

`create_server` wires servicers, interceptors, health and reflection onto one port and returns the
unstarted server with the port it bound (port 0 picks a free one, which is how tests run real servers
side by side). `serve` is what `toudai serve` runs: listen (health NOT_SERVING), open the database
(waiting for it with back-off: server/availability.py), check or apply migrations, report SERVING, expire
lapsed holds in the background, and on SIGTERM/SIGINT stop accepting calls, let running calls finish
within a grace period, and close the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Sequence
from concurrent import futures
from types import FrameType

import grpc
from grpc_health.v1 import health, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from audit import checkpoint as checkpoints
from audit.checkpoint_notary import Notary
from deals.agreements.desk import AgreementDesk
from deals.assessment.desk import AssessmentDesk
from deals.credit.classification import DEFAULT_POLICY, Policy
from deals.credit.desk import CreditDesk
from deals.desk import DealDesk
from deals.sharing.desk import SharingDesk
from ledger import actor, db
from ledger.replicas import DEFAULT_MAX_LAG
from ledger.store import DEFAULT_TIMEZONE, Ledger
from server import database
from server.agreements_servicer import AgreementServicer
from server.assessment_servicer import AssessmentServicer
from server.audit_servicer import AuditServicer
from server.auth import (
    DEFAULT_MAX_TOKEN_LIFETIME,
    AuthConfigError,
    Authenticator,
    AuthInterceptor,
    KeySet,
    check_transport,
    party_kinds,
    server_authenticator,
    server_credentials,
)
from server.availability import (
    MAX_RETRY_SECONDS,
    Backoff,
    DatabaseGate,
    DatabaseWatch,
    open_database,
    set_health,
)
from server.credit_servicer import CreditServicer
from server.deals_servicer import DealServicer
from server.insurance_servicer import InsuranceServicer
from server.interceptors import ErrorAndLogInterceptor, InFlight
from server.ledger_servicer import LedgerServicer
from server.metrics import Metrics
from server.read_routing import ReadRouter, read_router_for
from server.runtime import tune_gc
from server.settlement_servicer import SettlementServicer
from server.sharing_servicer import CreditDataServicer
from server.valuation_servicer import ValuationServicer
from settlement.desk import ExerciseDesk
from toudai.v1 import (
    agreements_pb2,
    agreements_pb2_grpc,
    assessment_pb2,
    assessment_pb2_grpc,
    credit_pb2,
    credit_pb2_grpc,
    deals_pb2,
    deals_pb2_grpc,
    insurance_pb2,
    insurance_pb2_grpc,
    ledger_pb2,
    ledger_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
    sharing_pb2,
    sharing_pb2_grpc,
    valuation_pb2,
    valuation_pb2_grpc,
)
from toudai.v1 import audit_pb2 as audit_api
from toudai.v1 import audit_pb2_grpc as audit_grpc
from valuation.desk import MarkDesk
from valuation.rounds import RoundBook

log = logging.getLogger("toudai.server")

#: After the last call in flight has terminated, how long a draining server keeps its connections open
#: so that the answers already handed to gRPC are written out (loopback needs milliseconds; a slow
#: reader on a real network more).
DRAIN_LINGER_SECONDS = 0.5

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_METADATA_BYTES = 16 * 1024  # all request headers of one call, the bearer token included
SERVICE_NAMES = (
    ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name,
    deals_pb2.DESCRIPTOR.services_by_name["DealService"].full_name,
    agreements_pb2.DESCRIPTOR.services_by_name["AgreementService"].full_name,
    credit_pb2.DESCRIPTOR.services_by_name["CreditService"].full_name,
    assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"].full_name,
    insurance_pb2.DESCRIPTOR.services_by_name["InsuranceService"].full_name,
    sharing_pb2.DESCRIPTOR.services_by_name["CreditDataService"].full_name,
    settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name,
    audit_api.DESCRIPTOR.services_by_name["AuditService"].full_name,
    valuation_pb2.DESCRIPTOR.services_by_name["ValuationService"].full_name,
)


def create_server(
    ledger: Ledger,
    address: str = "127.0.0.1:0",
    *,
    max_workers: int = 32,
    health_servicer: health.HealthServicer | None = None,
    reuse_port: bool = False,
    metrics: Metrics | None = None,
    authenticator: Authenticator | None = None,
    credentials: grpc.ServerCredentials | None = None,
    in_flight: InFlight | None = None,
    credit_policy: Policy = DEFAULT_POLICY,
    notary: Notary | None = None,
    gate: DatabaseGate | None = None,
    read_router: ReadRouter | None = None,
) -> tuple[grpc.Server, int]:
    """A configured, unstarted server bound to `address`, and the port it bound.

    With `in_flight`, every call is counted in it until it terminates (serve() drains on it).

    Pass `health_servicer` to keep a handle on it (serve() flips it to NOT_SERVING while draining).
    Without `authenticator` the server runs in development mode with no keys (server.auth): calls
    without a token act as the development administrator and any presented token is refused. With
    `credentials` (server.auth.server_credentials) the port speaks TLS. `credit_policy` sets the
    classification thresholds and the non-accrual threshold (docs/credit.md). `notary` signs checkpoints
    (without it, with a key generated for the life of the process). With a `gate` (server.availability)
    every toudai call is refused UNAVAILABLE and health says NOT_SERVING until the gate is opened and
    health set (serve() does both once the database is open). `read_router` (server.read_routing) puts
    consistency tokens on writes and serves reads from hot standbys.
    """
    authenticator = authenticator or Authenticator(KeySet(), development=True)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="toudai-rpc"),
        # Metrics outermost, so that they see the final status of every call (including refusals).
        interceptors=[
            *([metrics.interceptor()] if metrics is not None else []),
            ErrorAndLogInterceptor(in_flight),
            # Before auth, which reads parties from the database: while the database is not open, refuse here.
            *([gate] if gate is not None else []),
            # Innermost: its refusals are logged and counted like any error. A token's party must exist and be
            # of the role's kind (read from the ledger once per party).
            AuthInterceptor(authenticator, party_kind=party_kinds(ledger)),
            # Inside authentication, so the caller's checks read the primary; the servicer's reads may not.
            *([read_router] if read_router is not None else []),
        ],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_metadata_size", MAX_METADATA_BYTES),
            ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
            # Off by default so a second `toudai serve` on a busy port fails instead of silently sharing it;
            # several replicas on one port (SO_REUSEPORT) is an explicit choice (`--reuse-port`).
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
    )
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(ledger), server)
    deal_desk = DealDesk(ledger, credit_policy)
    deals_pb2_grpc.add_DealServiceServicer_to_server(DealServicer(deal_desk), server)
    agreements_pb2_grpc.add_AgreementServiceServicer_to_server(AgreementServicer(AgreementDesk(ledger)), server)
    credit_desk = CreditDesk(ledger, credit_policy)
    credit_pb2_grpc.add_CreditServiceServicer_to_server(CreditServicer(credit_desk, deal_desk), server)
    assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(AssessmentServicer(AssessmentDesk(ledger)), server)
    insurance_pb2_grpc.add_InsuranceServiceServicer_to_server(InsuranceServicer(deal_desk), server)
    sharing_pb2_grpc.add_CreditDataServiceServicer_to_server(
        CreditDataServicer(SharingDesk(ledger, credit_policy)), server
    )
    settlement_pb2_grpc.add_SettlementServiceServicer_to_server(
        SettlementServicer(ExerciseDesk(ledger), deal_desk), server
    )
    audit_grpc.add_AuditServiceServicer_to_server(AuditServicer(ledger, notary=notary), server)
    valuation_pb2_grpc.add_ValuationServiceServicer_to_server(
        ValuationServicer(RoundBook(ledger), MarkDesk(ledger), deal_desk), server
    )
    health_servicer = health_servicer or health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    set_health(health_servicer, SERVICE_NAMES, serving=gate is None or gate.is_open)
    reflection.enable_server_reflection((*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError as exc:  # grpc reports a busy or invalid address this way
        raise OSError(f"could not listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"could not listen on {address}")
    return server, port


def open_ledger(database_url: str, *, migrate: bool, timezone: str = DEFAULT_TIMEZONE) -> Ledger:
    """Open the database, applying migrations (or checking the revision when `migrate` is False)."""
    engines = db.create_engines(database_url)
    try:
        prepare_schema(engines, migrate=migrate)
    except BaseException:
        engines.dispose()
        raise
    return Ledger(engines, timezone=timezone)


def prepare_schema(engines: db.Engines, *, migrate: bool) -> None:
    """Apply migrations (or, when `migrate` is False, check that the schema is at head)."""
    if migrate:
        database.upgrade(engines.writer)
    else:
        database.check_revision(engines.writer)


SYSTEM_ACTOR = actor.Actor("toudai-hold-expirer", "system")  # recorded on what the expirer posts


class HoldExpirer(threading.Thread):
    """Releases lapsed holds every `interval` seconds until stopped."""

    def __init__(self, ledger: Ledger, interval: float) -> None:
        super().__init__(name="toudai-hold-expirer", daemon=True)
        self._ledger = ledger
        self._interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        with actor.acting_as(SYSTEM_ACTOR):
            self._loop()

    def _loop(self) -> None:
        while not self._stop_event.wait(self._interval):
            try:
                expired = ExerciseDesk(self._ledger).expire_requests()
                if expired:
                    log.info("expired %d exercise request(s) and released their holds", expired)
                released = self._ledger.expire_holds()
                if released:
                    log.info("released %d expired hold(s)", released)
            except Exception:
                log.exception("expiring holds failed; will try again")

    def stop(self) -> None:
        self._stop_event.set()


def serve(
    listen: str,
    database_url: str,
    *,
    migrate: bool = True,
    grace_seconds: float = 10.0,
    hold_expiry_interval: float = 30.0,
    ready: threading.Event | None = None,
    reuse_port: bool = False,
    metrics_listen: str | None = None,
    jwt_keys: Sequence[str] = (),
    tls_cert: str | None = None,
    tls_key: str | None = None,
    client_ca: str | None = None,
    max_token_lifetime: dt.timedelta = DEFAULT_MAX_TOKEN_LIFETIME,
    plaintext_behind_proxy: bool = False,
    timezone: str = DEFAULT_TIMEZONE,
    credit_policy: Policy = DEFAULT_POLICY,
    checkpoint_keys: Sequence[str] = (),
    checkpoint_origin: str = checkpoints.DEFAULT_ORIGIN,
    db_limits: db.SessionLimits | None = None,
    max_retry_seconds: float = MAX_RETRY_SECONDS,
    read_replicas: Sequence[str] = (),
    replica_max_lag: float = DEFAULT_MAX_LAG,
) -> None:
    """Run the server until SIGTERM or SIGINT, then shut down gracefully. `timezone` fixes the business
    date: every date a request leaves out is today in that zone; `credit_policy` the credit thresholds.

    Refuses to start (server.auth.AuthConfigError) without `jwt_keys` on a non-loopback address, in
    plaintext on a non-loopback address unless `plaintext_behind_proxy` (server.auth.check_transport),
    and with half a TLS configuration. `checkpoint_keys` (`[KID=]FILE`, Ed25519 PEM) sign checkpoints; without
    them a development key is created under var/ (audit.checkpoint.DEFAULT_DEV_KEY), as for the JWT secret.

    The port is taken first; then the database is opened (and migrated unless `migrate` is False). On
    PostgreSQL a database that does not answer yet is waited for (health NOT_SERVING, calls UNAVAILABLE,
    attempts with back-off up to `max_retry_seconds` apart: server/availability.py); an error waiting
    cannot fix (unknown database or role, wrong password, unknown schema revision) is raised after the
    port is released. `db_limits` are PostgreSQL's time limits (ledger.db.SessionLimits). `ready` is set
    once the server serves (the database open). `read_replicas` (PostgreSQL URLs of hot standbys of the
    database) serve reads that are at most `replica_max_lag` seconds stale, or have replayed the write
    whose consistency token the read presents (server.read_routing; docs/operations.md "Read replicas").
    """
    authenticator = server_authenticator(listen, jwt_keys, max_token_lifetime=max_token_lifetime)
    signers = checkpoint_signers(checkpoint_keys)
    credentials = None
    if tls_cert or tls_key or client_ca:
        if not (tls_cert and tls_key):
            raise AuthConfigError("TLS needs both --tls-cert and --tls-key (--client-ca adds mutual TLS)")
        credentials = server_credentials(tls_cert, tls_key, client_ca)
    check_transport(listen, tls=credentials is not None, plaintext_behind_proxy=plaintext_behind_proxy)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; draining calls for up to %.0f s", signal.Signals(signum).name, grace_seconds)
        stopping.set()

    # Installed before anything binds the port (gRPC may accept connections from the moment the port is
    # added): a SIGTERM sent as soon as the port answers must drain the server, not kill it with the
    # default handler. A signal during start-up makes the server start, then drain at once.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore_signals() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    # Listen first, with health NOT_SERVING and every call refused UNAVAILABLE, then open the database,
    # waiting for it with back-off (server/availability.py). Creating the engines connects to nothing; an
    # unsupported URL fails here, before the port is taken.
    try:
        engines = db.create_engines(database_url, limits=db_limits)
        ledger = Ledger(engines, timezone=timezone)
        health_servicer = health.HealthServicer()
        metrics = Metrics(ledger) if metrics_listen else None
        in_flight = InFlight()
        gate = DatabaseGate()
        read_router = read_router_for(
            engines,
            read_replicas,
            max_lag=replica_max_lag,
            on_served=metrics.read_served if metrics is not None else None,
        )
        server, port = create_server(
            ledger,
            listen,
            health_servicer=health_servicer,
            reuse_port=reuse_port,
            metrics=metrics,
            authenticator=authenticator,
            credentials=credentials,
            in_flight=in_flight,
            credit_policy=credit_policy,
            notary=Notary(ledger.engines, checkpoint_origin, signers, ledger.now),
            gate=gate,
            read_router=read_router,
        )
        if metrics is not None and metrics_listen:
            bound = metrics.start(metrics_listen)
            log.info("metrics on http://%s/metrics", metrics_listen.rsplit(":", 1)[0] + f":{bound}")
        server.start()
    except BaseException:
        restore_signals()
        raise
    host = listen.rsplit(":", 1)[0]
    log.info("toudai listening on %s:%d (database: %s); opening the database", host, port, _redact(database_url))
    expirer: HoldExpirer | None = None
    watch: DatabaseWatch | None = None
    try:
        # SQLite is a local file: nothing to wait for, and its errors (a directory not writable) are permanent.
        waits = engines.dialect == "postgresql"
        if waits:
            opened = open_database(
                lambda: prepare_schema(engines, migrate=migrate),
                stopping=stopping,
                gate=gate,
                backoff=Backoff(cap=max_retry_seconds),
            )
        else:
            prepare_schema(engines, migrate=migrate)
            opened = True
        if opened:
            gate.open()
            set_health(health_servicer, SERVICE_NAMES, serving=True)
            tune_gc()  # after startup: see server/runtime.py
            expirer = HoldExpirer(ledger, hold_expiry_interval)
            expirer.start()
            if waits:
                watch = DatabaseWatch(
                    engines.writer.url, lambda up: set_health(health_servicer, SERVICE_NAMES, serving=up)
                )
                watch.start()
            log.info("toudai serving on %s:%d", host, port)
            if ready is not None:
                ready.set()
        stopping.wait()
    finally:
        restore_signals()
        if read_router is not None:
            read_router.stop()
        if watch is not None:
            watch.stop()
        if expirer is not None:
            expirer.stop()
        health_servicer.enter_graceful_shutdown()  # load balancers stop routing here while calls drain
        # Let the calls in flight finish and their answers reach the wire before stopping: stop(grace)
        # alone may close a connection under an answer still being written (server/interceptors.py).
        deadline = time.monotonic() + grace_seconds
        if not in_flight.wait_idle(grace_seconds):
            log.warning("%d calls still in flight after %.0f s; stopping anyway", in_flight.count, grace_seconds)
        time.sleep(min(DRAIN_LINGER_SECONDS, max(0.0, deadline - time.monotonic())))
        server.stop(max(0.0, deadline - time.monotonic())).wait()
        if metrics is not None:
            metrics.stop()
        ledger.engines.dispose()
        log.info("toudai stopped")


def checkpoint_signers(specs: Sequence[str]) -> list[checkpoints.Signer]:
    """The checkpoint signing keys: those configured, else the development key (created when missing)."""
    if specs:
        signers = checkpoints.load_signers(specs)
        log.info("signing checkpoints with key(s) %s", ", ".join(s.verifier.vkey for s in signers))
        return signers
    import os
    from pathlib import Path

    path = Path(os.environ.get(checkpoints.DEV_KEY_ENV) or checkpoints.DEFAULT_DEV_KEY)
    signer = checkpoints.ensure_dev_key(path)
    log.warning(
        "no --checkpoint-key configured: signing checkpoints with the development key %s (%s); "
        "configure a key of your own for real data",
        path,
        signer.verifier.vkey,
    )
    return [signer]


def _redact(url: str) -> str:
    """A database URL without its password, for logs."""
    try:
        from sqlalchemy import make_url

        return make_url(db.normalise_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"
