"""`toudai serve` and a database that is not there yet, or goes away while it runs.

The outage is a TCP proxy in front of the shared PostgreSQL (tests/reliability/availability_helpers.py):
down, its port refuses connections like a stopped PostgreSQL; up, it forwards. The shared cluster itself
is never stopped. Expected behaviour (docs/operations.md, "Start-up and the database"): the server
listens at once, says NOT_SERVING and refuses calls UNAVAILABLE (DATABASE_NOT_READY) while it retries
with back-off, serves once the database answers, and its health follows a later outage both ways. A
database that does not exist is not waited for: `toudai serve` exits 1 with the database's own words.
"""

from __future__ import annotations

import pathlib
from decimal import Decimal

import grpc
import pytest
import sqlalchemy as sa
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from ledger import db
from ledger.store import Ledger
from server import availability
from server.app import SERVICE_NAMES, create_server
from tests.reliability.availability_helpers import (
    DatabaseProxy,
    Served,
    balances,
    error_info,
    through,
    wait_for,
)
from tests.reliability.helpers import setup_book, transfer
from tests.serving import TOUDAI, cli_env, free_port
from toudai.v1 import audit_pb2 as audit_api
from toudai.v1 import audit_pb2_grpc as audit_grpc
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.mark.postgres
@pytest.mark.slow
def test_serve_waits_for_the_database_and_health_follows_it(postgres_url: str, tmp_path: pathlib.Path) -> None:
    url = sa.make_url(postgres_url)
    proxy = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
    served = Served(through(postgres_url, proxy.port), tmp_path, "--db-retry-max-delay", "1s")
    try:
        # Down: the port answers, health says NOT_SERVING, calls are refused with a reason to retry.
        served.wait_for_health(NOT_SERVING, timeout=60)
        with pytest.raises(grpc.RpcError) as refused:
            served.stub.ListParties(pb.ListPartiesRequest(), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(refused.value).reason == "DATABASE_NOT_READY"
        assert "the database is not reachable yet, retrying" in (refused.value.details() or "")
        wait_for(lambda: served.log().count("retrying in") >= 2, 30, "two logged retries")
        assert "the database is not reachable (attempt 1: connection failed" in served.log()

        # Up: it opens the database by itself and serves.
        proxy.up()
        served.wait_for_health(SERVING, timeout=30)
        names = setup_book(served.stub, 2, Decimal("50.00"))
        served.stub.PostTransactions(
            pb.PostTransactionsRequest(transactions=[transfer("t-1", names[0], names[1], Decimal("5"))]), timeout=30
        )

        # The database goes away while it runs: health follows, calls answer UNAVAILABLE.
        proxy.down()
        served.wait_for_health(NOT_SERVING, timeout=30)
        retried = pb.PostTransactionsRequest(transactions=[transfer("t-2", names[0], names[1], Decimal("3"))])
        with pytest.raises(grpc.RpcError) as outage:
            served.stub.PostTransactions(retried, timeout=30)
        assert outage.value.code() == grpc.StatusCode.UNAVAILABLE

        # And back: SERVING again; the transfer retried with its request_id posts once.
        proxy.up()
        served.wait_for_health(SERVING, timeout=30)
        first = served.stub.PostTransactions(retried, timeout=30).transactions[0]
        again = served.stub.PostTransactions(retried, timeout=30).transactions[0]
        assert again.name == first.name
        # By hand: both open at 50.00; t-1 moves 5.00 and t-2 3.00 from cash-0 to cash-1, each once.
        assert balances(served.stub, names) == [Decimal("42.00"), Decimal("58.00")]
        assert served.stop() == 0
        assert "Traceback" not in served.log()
    finally:
        served.stop()
        proxy.close()


@pytest.mark.postgres
def test_serve_does_not_wait_for_a_database_that_does_not_exist(postgres_admin_url: str) -> None:
    import subprocess

    missing = sa.make_url(postgres_admin_url).set(database="toudai_no_such_database")
    command = [TOUDAI, "serve", "--listen", f"127.0.0.1:{free_port()}"]
    url = missing.render_as_string(hide_password=False)
    done = subprocess.run([*command, "--database-url", url], capture_output=True, text=True, timeout=60, env=cli_env())
    assert done.returncode == 1
    assert 'database "toudai_no_such_database" does not exist' in done.stderr
    assert "cannot open the database" in done.stderr


def test_the_gate_refuses_calls_until_opened(database_url: str) -> None:
    """In process, on both databases: health and calls before and after the gate opens."""
    engines = db.create_engines(database_url)
    gate = availability.DatabaseGate()
    servicer = health.HealthServicer()
    server, port = create_server(Ledger(engines), "127.0.0.1:0", health_servicer=servicer, gate=gate)
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    probe = health_pb2_grpc.HealthStub(channel)
    try:
        for service in ("", "toudai.v1.LedgerService"):
            reply = probe.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert reply.status == NOT_SERVING
        gate.waiting("the database is not reachable yet, retrying (next attempt at 2026-12-05T10:00:00.000Z)")
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListParties(pb.ListPartiesRequest(), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert refused.value.details() == (
            "the database is not reachable yet, retrying (next attempt at 2026-12-05T10:00:00.000Z); "
            "retry later with the same request_id"
        )
        assert error_info(refused.value).reason == "DATABASE_NOT_READY"
        with pytest.raises(grpc.RpcError) as refused_stream:  # a server stream is refused the same way
            list(audit_grpc.AuditServiceStub(channel).ExportJournal(audit_api.ExportJournalRequest(), timeout=10))
        assert refused_stream.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(refused_stream.value).reason == "DATABASE_NOT_READY"

        gate.open()
        availability.set_health(servicer, SERVICE_NAMES, serving=True)
        assert probe.Check(health_pb2.HealthCheckRequest(), timeout=10).status == SERVING
        assert list(stub.ListParties(pb.ListPartiesRequest(), timeout=10).parties) == []
    finally:
        channel.close()
        server.stop(None)
        engines.dispose()
