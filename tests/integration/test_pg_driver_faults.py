"""PostgreSQL faults on the posting path's raw-driver statements are retried like any other.

The PostgreSQL posting path (ledger/pg_posting.py) talks to psycopg directly: one pipelined round trip
for its reads, one statement for its writes. A serialization failure, a deadlock, a lost unique-key race
or a dropped connection there must reach the unit of work as the SQLAlchemy errors it retries or
translates, exactly as when SQLAlchemy ran the statement: a transient conflict is retried and the post
succeeds once; a conflict that never clears answers ABORTED; a lost connection answers UNAVAILABLE. Never
INTERNAL. The faults are injected at psycopg's `Connection.execute` (which only the raw-driver path calls)
on a real server over a real PostgreSQL database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import psycopg
import pytest
from psycopg import errors as pg_errors

from ledger import db
from ledger.model import AccountType, PartyKind
from ledger.store import Ledger
from server.app import create_server
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

pytestmark = pytest.mark.postgres

READ = "SELECT party_id, head_seq, head_hash FROM books"
WRITE = "WITH new_transactions AS"


@pytest.fixture
def pg_ledger(postgres_url: str) -> Iterator[Ledger]:
    engines = db.create_engines(postgres_url)
    ledger = Ledger(engines)
    ledger.create_party(request_id="p", party_id="bank", display_name="Bank", kind=PartyKind.BANK_BRANCH)
    for code, kind in (("cash", AccountType.ASSET), ("equity", AccountType.EQUITY)):
        ledger.create_account(
            request_id=code,
            party="parties/bank",
            code=code,
            display_name=code,
            type=kind,
            commodity="CNY",
            must_not_go_negative=False,
        )
    try:
        yield ledger
    finally:
        engines.dispose()


@pytest.fixture
def stub(pg_ledger: Ledger) -> Iterator[ledger_pb2_grpc.LedgerServiceStub]:
    server, port = create_server(pg_ledger, "127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield ledger_pb2_grpc.LedgerServiceStub(channel)
    finally:
        server.stop(0).wait()


def inject(monkeypatch: pytest.MonkeyPatch, statement: str, fault: Callable[[], Exception], times: int) -> list[int]:
    """Make psycopg's Connection.execute raise `fault()` for the first `times` statements starting with
    `statement`; returns a one-item list counting the faults raised."""
    original = psycopg.Connection.execute
    raised = [0]

    def execute(self: psycopg.Connection[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, str) and query.lstrip().startswith(statement) and raised[0] < times:
            raised[0] += 1
            raise fault()
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    return raised


def capital(request_id: str) -> pb.PostTransactionsRequest:
    day = dt.date(2026, 11, 26)
    return pb.PostTransactionsRequest(
        transactions=[
            pb.TransactionInput(
                request_id=request_id,
                value_date={"year": day.year, "month": day.month, "day": day.day},
                description="Paid-in capital",
                postings=[
                    pb.Posting(
                        account="parties/bank/accounts/cash",
                        side=pb.SIDE_DEBIT,
                        amount=pb.Amount(commodity="CNY", value="100.00"),
                    ),
                    pb.Posting(
                        account="parties/bank/accounts/equity",
                        side=pb.SIDE_CREDIT,
                        amount=pb.Amount(commodity="CNY", value="100.00"),
                    ),
                ],
            )
        ]
    )


def cash_balance(ledger: Ledger) -> int:
    return ledger.get_balance("parties/bank/accounts/cash").balance


@pytest.mark.parametrize(
    ("statement", "fault"),
    [
        (READ, lambda: pg_errors.SerializationFailure("could not serialize access")),
        (READ, lambda: pg_errors.DeadlockDetected("deadlock detected")),
        (WRITE, lambda: pg_errors.SerializationFailure("could not serialize access")),
        (WRITE, lambda: pg_errors.UniqueViolation("duplicate key value violates unique constraint")),
    ],
    ids=["read-serialization", "read-deadlock", "write-serialization", "write-lost-race"],
)
def test_transient_fault_is_retried_and_posts_once(
    monkeypatch: pytest.MonkeyPatch,
    pg_ledger: Ledger,
    stub: ledger_pb2_grpc.LedgerServiceStub,
    statement: str,
    fault: Callable[[], Exception],
) -> None:
    raised = inject(monkeypatch, statement, fault, times=2)
    response = stub.PostTransactions(capital("cap-1"), timeout=30)
    assert raised[0] == 2  # the fault really happened, twice, and the third attempt went through
    assert len(response.transactions) == 1
    assert cash_balance(pg_ledger) == 10_000
    # and nothing was doubled: a retry of the call replays the one transaction
    again = stub.PostTransactions(capital("cap-1"), timeout=30)
    assert again.transactions[0].name == response.transactions[0].name
    assert cash_balance(pg_ledger) == 10_000


def test_conflict_that_never_clears_answers_aborted(
    monkeypatch: pytest.MonkeyPatch, pg_ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub
) -> None:
    inject(monkeypatch, WRITE, lambda: pg_errors.SerializationFailure("could not serialize access"), times=1_000)
    with pytest.raises(grpc.RpcError) as caught:
        stub.PostTransactions(capital("cap-2"), timeout=60)
    assert caught.value.code() == grpc.StatusCode.ABORTED, caught.value.details()
    assert "retry with the same request_id" in (caught.value.details() or "")
    assert cash_balance(pg_ledger) == 0


def test_dropped_connection_answers_unavailable(
    monkeypatch: pytest.MonkeyPatch, pg_ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub
) -> None:
    inject(
        monkeypatch, READ, lambda: pg_errors.AdminShutdown("terminating connection due to administrator command"), 1_000
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.PostTransactions(capital("cap-3"), timeout=60)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value.details()
    assert cash_balance(pg_ledger) == 0
