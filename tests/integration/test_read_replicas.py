"""Reads served by a PostgreSQL hot standby, with read-your-writes (server/read_routing.py).

Uses the streaming-replication standby that scripts/pg-standby.sh makes (`make standby`; .ci/run calls
it) at TOUDAI_TEST_STANDBY_URL (default postgresql://postgres@127.0.0.1:5433/postgres). Every test's
database is created on the primary by the `postgres_url` fixture and reaches the standby through
replication; the test waits for it to appear there. With CI=true these tests fail when the standby does
not answer (or is not a standby of the test primary); elsewhere they skip with the reason.

The standby is shared by every test worker: a test that pauses its replay does so for as short as it can,
resumes in a `finally`, and holds a file lock that the tests which expect the standby to serve also take,
so that two workers never see each other's pause. Standbys that go away are simulated with a TCP proxy
of the test's own in front of the standby: the real standby (and the primary) are never stopped.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import grpc
import pytest
import sqlalchemy as sa
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from clients.client import ToudaiClient
from clients.values import AccountType, PartyKind
from ledger import db
from ledger.consistency import format_lsn, parse_lsn
from ledger.replicas import ReplicaSet, standby_engine
from ledger.store import Ledger
from server.app import create_server
from server.metrics import Metrics
from server.read_routing import SERVED_BY_HEADER, TOKEN_HEADER, ReadRouter, read_router_for
from tests.conftest import IN_CI
from tests.serving import toudai_serve
from toudai.v1 import audit_pb2, audit_pb2_grpc
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc

pytestmark = pytest.mark.postgres

STANDBY_URL = os.environ.get("TOUDAI_TEST_STANDBY_URL", "postgresql://postgres@127.0.0.1:5433/postgres")
PAUSE_LOCK = "/tmp/toudai-test-standby.lock"
WAIT_SECONDS = 60.0  # how long to wait for replication to bring something (not an assertion on speed)


def _unavailable(reason: str) -> NoReturn:
    message = f"the read-replica tests need a hot standby of the test PostgreSQL: {reason} (run `make standby`)"
    if IN_CI:
        pytest.fail(message + " (CI=true: these tests must run)")
    pytest.skip(message)


def _system_id(url: str) -> tuple[int, bool]:
    engine = sa.create_engine(db.normalise_url(url), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT system_identifier, pg_is_in_recovery() FROM pg_control_system()"
            ).one()
            return int(row[0]), bool(row[1])
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def standby_admin_url(postgres_admin_url: str) -> str:
    """The standby's maintenance database URL, checked to be a standby of the test primary."""
    try:
        standby_id, in_recovery = _system_id(STANDBY_URL)
    except sa.exc.OperationalError as error:
        _unavailable(f"{STANDBY_URL} does not answer ({str(error.orig).strip().splitlines()[0]})")
    primary_id, _ = _system_id(postgres_admin_url)
    if not in_recovery:
        _unavailable(f"{STANDBY_URL} is not in recovery (not a standby)")
    if standby_id != primary_id:
        _unavailable(f"{STANDBY_URL} is a standby of another cluster than {postgres_admin_url}")
    url = db.normalise_url(STANDBY_URL)
    # A run killed in the middle of a pause (a timeout, ^C) would leave replay paused for every later run.
    with standby_to_myself():
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT pg_wal_replay_resume()")
        finally:
            engine.dispose()
    return url


@contextmanager
def standby_to_myself() -> Iterator[None]:
    """Exclusive use of the standby's replay (pausing it, or expecting it to keep up) among test workers."""
    with open(PAUSE_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def replayed(standby_url: str) -> int:
    engine = sa.create_engine(standby_url)
    try:
        with engine.connect() as connection:
            return parse_lsn(str(connection.exec_driver_sql("SELECT pg_last_wal_replay_lsn()::text").scalar_one()))
    finally:
        engine.dispose()


def wait_replayed(standby_url: str, token: str) -> None:
    """Wait until the standby has replayed `token` (a setup step: replication speed is not under test)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while replayed(standby_url) < parse_lsn(token):
        assert time.monotonic() < deadline, f"the standby did not replay {token} within {WAIT_SECONDS:.0f} s"
        time.sleep(0.02)


@contextmanager
def replay_paused(standby_url: str) -> Iterator[None]:
    """Pause the standby's replay for the block (other workers excluded), and always resume it."""
    engine = sa.create_engine(standby_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_wal_replay_pause()")
            try:
                yield
            finally:
                connection.exec_driver_sql("SELECT pg_wal_replay_resume()")
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- a TCP proxy the test can cut


class Proxy:
    """Forwards 127.0.0.1:<port> to the standby until `cut()`: then refuses new connections and drops
    the ones it carries, as a standby that went away would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                if self._cut:
                    client.close()
                    return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        # shutdown() first: on Linux, close() alone leaves a socket blocked in accept() listening.
        with self._lock:
            self._cut = True
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()


# ---------------------------------------------------------------------- the server under test


@dataclass
class World:
    address: str
    router: ReadRouter
    standby_url: str  # the test database on the real standby (for waiting and pausing)
    metrics: Metrics


def standby_copy(standby_admin_url: str, primary_url: str) -> str:
    """The URL of the primary's test database on the standby, once replication has brought it there."""
    name = sa.make_url(primary_url).database
    url = sa.make_url(standby_admin_url).set(database=name).render_as_string(hide_password=False)
    _wait_for_database(url)
    return url


def _wait_for_database(url: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1 FROM alembic_version")
                return
        except sa.exc.DBAPIError:
            assert time.monotonic() < deadline, f"the test database did not reach the standby in {WAIT_SECONDS} s"
            time.sleep(0.1)
        finally:
            engine.dispose()


@contextmanager
def serving(
    postgres_url: str, replica_url: str, *, max_lag: float, metrics: Callable[[Ledger], Metrics] | None = None
) -> Iterator[tuple[str, ReadRouter]]:
    engines = db.create_engines(postgres_url)
    ledger = Ledger(engines)
    counted = metrics(ledger) if metrics is not None else None
    router = read_router_for(
        engines,
        [replica_url],
        max_lag=max_lag,
        probe_interval=0.05,
        on_served=counted.read_served if counted is not None else None,
    )
    assert router is not None
    server, port = create_server(ledger, "127.0.0.1:0", read_router=router, metrics=counted)
    server.start()
    try:
        yield f"127.0.0.1:{port}", router
    finally:
        server.stop(0).wait()
        router.stop()
        engines.dispose()


@pytest.fixture
def world(postgres_url: str, standby_admin_url: str) -> Iterator[World]:
    """A server on a fresh database with the real standby as its read replica; token-less reads may be a
    minute stale (so that they go to the standby even while a test pauses it)."""
    standby_url = standby_copy(standby_admin_url, postgres_url)
    made: list[Metrics] = []

    def metrics(ledger: Ledger) -> Metrics:
        made.append(Metrics(ledger))
        return made[0]

    with serving(postgres_url, standby_url, max_lag=60.0, metrics=metrics) as (address, router):
        yield World(address, router, standby_url, made[0])


def open_books(client: ToudaiClient) -> None:
    """A branch with cash and deposits in CNY."""
    client.create_party("bank-hz", display_name="杭州科技支行", kind=PartyKind.BANK_BRANCH)
    client.create_account("bank-hz", "cash", account_type=AccountType.ASSET, commodity="CNY")
    client.create_account("bank-hz", "deposits", account_type=AccountType.LIABILITY, commodity="CNY")


def deposit(client: ToudaiClient, amount: str) -> None:
    client.post_transfer("bank-hz/deposits", "bank-hz/cash", Decimal(amount))


def trailing(call: Any) -> dict[str, str]:
    return {k: str(v) for k, v in call.trailing_metadata() or ()}


# ---------------------------------------------------------------------- read-your-writes


def test_sdk_reads_its_write_from_the_standby(world: World) -> None:
    with ToudaiClient(world.address) as client:
        open_books(client)
        assert client.consistency_token is not None  # every write answers with one
        deposit(client, "100.00")
        first = client.consistency_token
        deposit(client, "23.45")
        token = client.consistency_token
        assert token is not None and first is not None and parse_lsn(token) > parse_lsn(first)
        with standby_to_myself():
            wait_replayed(world.standby_url, token)
            balance = client.get_balance("bank-hz/cash")
            assert client.last_served_by == "replica-1"
            balances = client.get_balances(["bank-hz/cash", "bank-hz/deposits"])
            assert client.last_served_by == "replica-1"
            listed = list(client.list_transactions(party="bank-hz"))
            assert client.last_served_by == "replica-1"
            one = client.get_transaction(listed[-1].name)
            assert client.last_served_by == "replica-1"
            client.get_account("bank-hz/cash")
            assert client.last_served_by == "replica-1"
    assert balance.balance == Decimal("123.45")  # 100.00 + 23.45
    assert [b.balance for b in balances] == [Decimal("123.45"), Decimal("123.45")]
    assert len(listed) == 2
    assert one.request_id == listed[-1].request_id
    served = world.metrics.registry.get_sample_value(
        "toudai_reads_served_total", {"method": "/toudai.v1.LedgerService/GetBalance", "served_by": "replica-1"}
    )
    assert served == 1.0  # the one GetBalance above
    assert world.router.served["replica-1"] >= 5


def test_raw_grpc_token_in_trailing_metadata_and_a_routed_export(world: World) -> None:
    with ToudaiClient(world.address) as client:
        open_books(client)
    with grpc.insecure_channel(world.address) as channel:
        stub = pb_grpc.LedgerServiceStub(channel)
        request = pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="raw-1",
                    postings=[
                        pb.Posting(
                            account="parties/bank-hz/accounts/cash",
                            side=pb.SIDE_DEBIT,
                            amount=pb.Amount(commodity="CNY", value="7.00"),
                        ),
                        pb.Posting(
                            account="parties/bank-hz/accounts/deposits",
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="7.00"),
                        ),
                    ],
                )
            ]
        )
        _, call = stub.PostTransactions.with_call(request)
        token = trailing(call)[TOKEN_HEADER]
        assert format_lsn(parse_lsn(token)) == token  # PostgreSQL's X/Y form
        with standby_to_myself():
            wait_replayed(world.standby_url, token)
            answer, call = stub.GetBalance.with_call(
                pb.GetBalanceRequest(account="parties/bank-hz/accounts/cash"), metadata=[(TOKEN_HEADER, token)]
            )
            assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
            audit = audit_pb2_grpc.AuditServiceStub(channel)
            stream = audit.ExportJournal(
                audit_pb2.ExportJournalRequest(format=audit_pb2.EXPORT_FORMAT_JSONL), metadata=[(TOKEN_HEADER, token)]
            )
            pieces = list(stream)
            assert trailing(stream)[SERVED_BY_HEADER] == "replica-1"
            token_md = [(TOKEN_HEADER, token)]
            trial, call = audit.TrialBalance.with_call(audit_pb2.TrialBalanceRequest(), metadata=token_md)
            assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
            chain, call = audit.VerifyChain.with_call(
                audit_pb2.VerifyChainRequest(party="parties/bank-hz"), metadata=token_md
            )
            assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
            _, call = audit.GetChainHead.with_call(audit_pb2.GetChainHeadRequest(), metadata=token_md)
            assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
            _, call = audit.GetBalanceHistory.with_call(
                audit_pb2.GetBalanceHistoryRequest(accounts=["parties/bank-hz/accounts/cash"]), metadata=token_md
            )
            assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
        assert answer.balance.balance == pb.Amount(commodity="CNY", value="7.00")
        assert pieces[-1].manifest.transaction_count == 1  # the one transfer, read on the standby
        assert chain.ok and chain.legs_checked == 1 and chain.head_sequence == 1
        [bank] = [p for p in trial.parties if p.party == "parties/bank-hz"]
        assert {(t.commodity, t.debit, t.credit) for t in bank.totals} == {("CNY", "7.00", "7.00")}
        # A reply to a read carries no token; a write's idempotent replay carries one again.
        assert TOKEN_HEADER not in trailing(call)
        _, call = stub.PostTransactions.with_call(request)  # the same request_id: replayed, not posted again
        assert parse_lsn(trailing(call)[TOKEN_HEADER]) >= parse_lsn(token)


def test_a_malformed_token_is_refused_with_the_header_named(world: World) -> None:
    with grpc.insecure_channel(world.address) as channel:
        stub = pb_grpc.LedgerServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetBalance(
                pb.GetBalanceRequest(account="parties/bank-hz/accounts/cash"), metadata=[(TOKEN_HEADER, "yesterday")]
            )
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    assert status is not None
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert bad.field_violations[0].field == f"metadata[{TOKEN_HEADER}]"
    assert bad.field_violations[0].reason == "INVALID_CONSISTENCY_TOKEN"
    with grpc.insecure_channel(world.address) as channel:  # a stream refuses it the same way
        export = audit_pb2_grpc.AuditServiceStub(channel).ExportJournal(
            audit_pb2.ExportJournalRequest(format=audit_pb2.EXPORT_FORMAT_CSV), metadata=[(TOKEN_HEADER, "0/")]
        )
        with pytest.raises(grpc.RpcError) as caught:
            list(export)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT


# ---------------------------------------------------------------------- a lagging standby


def test_a_lagging_standby_leaves_token_reads_to_the_primary(world: World) -> None:
    with ToudaiClient(world.address) as client:
        open_books(client)
        deposit(client, "100.00")
        with standby_to_myself():
            wait_replayed(world.standby_url, client.consistency_token or "")
            with replay_paused(world.standby_url):
                deposit(client, "50.00")  # committed on the primary, not replayed on the standby
                fresh = client.get_balance("bank-hz/cash")  # presents the token of that deposit
                assert client.last_served_by == "primary"
                with grpc.insecure_channel(world.address) as channel:  # the raw path, same token
                    answer, call = pb_grpc.LedgerServiceStub(channel).GetBalance.with_call(
                        pb.GetBalanceRequest(account="parties/bank-hz/accounts/cash"),
                        metadata=[(TOKEN_HEADER, client.consistency_token or "")],
                    )
                    assert trailing(call)[SERVED_BY_HEADER] == "primary"
                    # Without a token, a standby within the lag bound (60 s here) may answer: the old figure.
                    stale, call = pb_grpc.LedgerServiceStub(channel).GetBalance.with_call(
                        pb.GetBalanceRequest(account="parties/bank-hz/accounts/cash")
                    )
                    assert trailing(call)[SERVED_BY_HEADER] == "replica-1"
        assert fresh.balance == Decimal("150.00")  # 100.00 + 50.00
        assert answer.balance.balance.value == "150.00"
        assert stale.balance.balance.value == "100.00"  # the standby had only the first deposit


def test_the_lag_bound_decides_token_less_reads(postgres_url: str, standby_admin_url: str) -> None:
    """The bound is checked against probes (primary position at time t, then the standby's replay): a clock
    under the test's control makes "how long ago" exact."""
    standby_url = standby_copy(standby_admin_url, postgres_url)
    now = [100.0]
    primary = sa.create_engine(postgres_url)
    replicas = ReplicaSet(primary, [("replica-1", standby_engine(standby_url))], max_lag=1.0, clock=lambda: now[0])
    try:
        with standby_to_myself():
            # At t = 100.0 the standby has everything the primary had written (other workers write to the
            # same cluster, so probe again until the standby has caught up with a probe's position).
            deadline = time.monotonic() + WAIT_SECONDS
            while replicas.standbys[0].fresh_as_of != 100.0:
                assert time.monotonic() < deadline, "the standby never caught up with the primary"
                replicas.probe()
            now[0] = 100.9
            assert replicas.choose(None) is replicas.standbys[0]  # 0.9 s <= 1 s
            now[0] = 101.1
            assert replicas.choose(None) is None  # 1.1 s > 1 s since the standby was known complete
            with replay_paused(standby_url):
                with primary.begin() as connection:  # a commit the paused standby cannot replay
                    connection.exec_driver_sql("CREATE TABLE lag_probe (id int)")
                replicas.probe()  # at t = 101.1: the primary has moved on, the standby has not
                now[0] = 101.2
                assert replicas.choose(None) is None  # complete only as of t = 100.0: 1.2 s
                with primary.connect() as connection:
                    after = parse_lsn(str(connection.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar()))
                assert replicas.choose(after) is None  # the token is past its replay: the primary
    finally:
        replicas.stop()
        primary.dispose()


# ---------------------------------------------------------------------- a standby that goes away


def test_reads_survive_a_standby_that_goes_away(postgres_url: str, standby_admin_url: str) -> None:
    standby_url = standby_copy(standby_admin_url, postgres_url)
    real = sa.make_url(standby_url)
    proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
    through_proxy = real.set(port=proxy.port).render_as_string(hide_password=False)
    try:
        with serving(postgres_url, through_proxy, max_lag=60.0) as (address, router):
            with ToudaiClient(address) as client:
                open_books(client)
                deposit(client, "80.00")
                with standby_to_myself():
                    wait_replayed(standby_url, client.consistency_token or "")
                    assert client.get_balance("bank-hz/cash").balance == Decimal("80.00")
                    assert client.last_served_by == "replica-1"
                proxy.cut()  # the standby goes away: open connections dropped, new ones refused
                deposit(client, "20.00")
                for _ in range(3):  # the first finds it gone, the next ones skip it (back-off)
                    assert client.get_balance("bank-hz/cash").balance == Decimal("100.00")  # 80.00 + 20.00
                    assert client.last_served_by == "primary"
                with grpc.insecure_channel(address) as channel:
                    stub = pb_grpc.LedgerServiceStub(channel)
                    for metadata in ([], [(TOKEN_HEADER, client.consistency_token or "")]):
                        answer, call = stub.GetBalance.with_call(
                            pb.GetBalanceRequest(account="parties/bank-hz/accounts/cash"), metadata=metadata
                        )
                        assert answer.balance.balance.value == "100.00"
                        assert trailing(call)[SERVED_BY_HEADER] == "primary"
                    pieces = list(
                        audit_pb2_grpc.AuditServiceStub(channel).ExportJournal(
                            audit_pb2.ExportJournalRequest(format=audit_pb2.EXPORT_FORMAT_CSV)
                        )
                    )
                    assert pieces[-1].manifest.transaction_count == 2  # both deposits, from the primary
            assert router.replicas.standbys[0].failures >= 1
    finally:
        proxy.cut()


def test_toudai_serve_read_replica(postgres_url: str, standby_admin_url: str, tmp_path: Path) -> None:
    """The command line: `toudai serve --read-replica URL --replica-max-lag S`, and the SDK's session."""
    standby_url = standby_copy(standby_admin_url, postgres_url)
    with (
        toudai_serve(
            postgres_url, tmp_path / "serve.log", "--read-replica", standby_url, "--replica-max-lag", "5"
        ) as server,
        ToudaiClient(server.target) as client,
    ):
        open_books(client)
        deposit(client, "12.34")
        with standby_to_myself():
            wait_replayed(standby_url, client.consistency_token or "")
            assert client.get_balance("bank-hz/cash").balance == Decimal("12.34")
            assert client.last_served_by == "replica-1"
        # A token handed to another client (another process, say) gives it the same guarantee.
        with ToudaiClient(server.target, consistency_token=client.consistency_token) as other:
            assert other.consistency_token == client.consistency_token
            assert other.get_balance("bank-hz/deposits").balance == Decimal("12.34")
    assert "reads may be served by 1 hot standby(s), at most 5 s behind" in (tmp_path / "serve.log").read_text()


def test_replicas_need_postgresql(sqlite_url: str) -> None:
    engines = db.create_engines(sqlite_url)
    try:
        with pytest.raises(ValueError, match="PostgreSQL"):
            read_router_for(engines, ["postgresql://postgres@127.0.0.1:5433/x"])
        assert read_router_for(engines, []) is None
    finally:
        engines.dispose()
