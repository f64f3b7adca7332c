"""Faults around the server: a database outage and its recovery, and a SIGTERM with a call in flight.

The outage test runs its own PostgreSQL (initdb + pg_ctl from /usr/lib/postgresql/*/bin, in a temporary
directory, on a free port) because it stops it: the shared PostgreSQL on 5432 that other tests use is
never touched. While it is down every call must be answered UNAVAILABLE (never INTERNAL or a hang); once
it is back, the same toudai server must answer again by itself, and a transfer retried across the
outage with one request_id must be stored exactly once.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pathlib
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest

from ledger import db
from ledger.store import Ledger
from server import database
from server.app import create_server
from tests.chains import verify_book
from tests.conftest import IN_CI
from tests.reliability.helpers import ServerProcess, setup_book, transfer
from tests.serving import free_port
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


def _pg_bin() -> pathlib.Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    on_path = shutil.which("initdb")
    if not found and on_path:
        found = [on_path]
    return pathlib.Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster owned by this test (run as `postgres` when the test runs as root)."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            message = "initdb/pg_ctl not found (install the postgresql server package)"
            if IN_CI:
                pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
            pytest.skip(message)
        self.bin = bin_dir
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="toudai-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.mark.postgres
def test_database_outage_gives_unavailable_and_recovers(private_postgres: PrivatePostgres) -> None:
    engines = db.create_engines(private_postgres.url)
    database.upgrade(engines.writer)
    ledger = Ledger(engines)
    server, port = create_server(ledger, "127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    try:
        names = setup_book(stub, 2, Decimal("100.00"))
        balances = pb.BatchGetBalancesRequest(accounts=names)
        stub.BatchGetBalances(balances, timeout=10)

        private_postgres.stop()
        outage_calls = 0
        during = pb.PostTransactionsRequest(transactions=[transfer("across-outage", names[0], names[1], Decimal("5"))])
        for request, method in [(balances, stub.BatchGetBalances), (during, stub.PostTransactions)] * 3 + [
            (pb.GetPartyRequest(name="parties/bank"), stub.GetParty),
            (pb.ListTransactionsRequest(party="parties/bank"), stub.ListTransactions),
        ]:
            with pytest.raises(grpc.RpcError) as refused:
                method(request, timeout=30)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, (refused.value.code(), refused.value.details())
            outage_calls += 1

        private_postgres.start()
        deadline = time.monotonic() + 30
        while True:  # the same server, never restarted, answers again by itself
            try:
                stub.PostTransactions(during, timeout=10)
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE, (error.code(), error.details())
                assert time.monotonic() < deadline, "toudai did not recover after the database came back"
                time.sleep(0.2)
        stub.PostTransactions(during, timeout=10)  # a retry of an acknowledged call replays it
        reply = stub.BatchGetBalances(balances, timeout=10)
        assert [b.balance.value for b in reply.balances] == ["95.00", "105.00"]
        page = ledger.list_transactions(party="parties/bank", page_size=100)
        assert [tx.request_id for tx in page.items].count("across-outage") == 1
        assert verify_book(ledger, "bank").ok
        print(f"\n[outage] {outage_calls} calls answered UNAVAILABLE while PostgreSQL was down; recovered")
    finally:
        channel.close()
        server.stop(0).wait()
        engines.dispose()


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_sigterm_drains_a_call_in_flight(sqlite_url: str, tmp_path: pathlib.Path) -> None:
    server = ServerProcess(sqlite_url, tmp_path, name="drain")
    server.start()
    with grpc.insecure_channel(server.address) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        names = setup_book(stub, 2, Decimal("1000000.00"))
        batch = pb.PostTransactionsRequest(
            transactions=[
                transfer(f"drain-{i}", names[i % 2], names[(i + 1) % 2], Decimal("0.01")) for i in range(8000)
            ]
        )
        outcome: dict[str, object] = {}

        def send() -> None:
            try:
                outcome["reply"] = stub.PostTransactions(batch, timeout=60)
            except grpc.RpcError as error:
                outcome["error"] = (error.code(), error.details())
            outcome["answered_at"] = time.monotonic()

        assert server.process is not None
        cpu_before = _cpu_seconds(server.process.pid)
        sender = threading.Thread(target=send)
        sender.start()
        # SIGTERM only once the server is working on the call (not while the request is still in transit:
        # a call not yet received is refused by a stopping server, which is not what this test is about).
        deadline = time.monotonic() + 20
        while _cpu_seconds(server.process.pid) - cpu_before < 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "answered_at" not in outcome, "the batch finished before SIGTERM: make it bigger"
        sigterm_at = time.monotonic()
        assert server.process is not None
        server.process.terminate()
        sender.join(timeout=60)
        assert "error" not in outcome, outcome.get("error")
        assert float(outcome["answered_at"]) > sigterm_at  # type: ignore[arg-type]
        assert len(outcome["reply"].transactions) == 8000  # type: ignore[attr-defined]
        assert server.process.wait(timeout=30) == 0, server.log_text()[-2000:]
    engines = db.create_engines(sqlite_url)
    try:
        page = Ledger(engines).list_transactions(party="parties/bank", page_size=1)
        assert page.items
        assert verify_book(Ledger(engines), "bank").legs_checked == 8000 + 2
    finally:
        engines.dispose()
    print(f"\n[drain] 8000-transaction batch answered {outcome['answered_at'] - sigterm_at:.2f} s after SIGTERM")  # type: ignore[operator]
