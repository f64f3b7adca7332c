"""Concurrent writers never break balances, must-not-go-negative limits, idempotency or the hash chains.

Two shapes: many threads against one real server (both databases), and two server processes sharing one
PostgreSQL database with clients alternating between them. Afterwards the books must verify, every
commodity must be conserved, no guarded account may be negative, and every acknowledged transfer must
be present exactly once.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest

from ledger.store import Ledger
from tests.chains import verify_book
from tests.serving import free_port, wait_until_serving
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

ACCOUNTS = 10
OPENING = Decimal("1000.00")
TODAY = {"year": 2026, "month": 11, "day": 26}


def _setup_book(stub: ledger_pb2_grpc.LedgerServiceStub) -> list[str]:
    """One bank with ACCOUNTS guarded cash accounts, each funded with OPENING from equity."""
    stub.CreateParty(
        pb.CreatePartyRequest(request_id="p-bank", party_id="bank", display_name="Bank", kind=pb.PARTY_KIND_BANK_BRANCH)
    )
    stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id="a-equity",
            party="parties/bank",
            code="equity",
            display_name="Equity",
            type=pb.ACCOUNT_TYPE_EQUITY,
            commodity="CNY",
        )
    )
    names = []
    funding = []
    for i in range(ACCOUNTS):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"a-{i}",
                party="parties/bank",
                code=f"cash-{i}",
                display_name=f"Cash {i}",
                type=pb.ACCOUNT_TYPE_ASSET,
                commodity="CNY",
                must_not_go_negative=True,
            )
        )
        name = f"parties/bank/accounts/cash-{i}"
        names.append(name)
        funding.append(_transfer(f"fund-{i}", "parties/bank/accounts/equity", name, OPENING))
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=funding))
    return names


def _transfer(request_id: str, source: str, target: str, amount: Decimal) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date=TODAY,
        description="transfer",
        postings=[
            pb.Posting(account=target, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=str(amount))),
            pb.Posting(account=source, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=str(amount))),
        ],
    )


def _run_clients(
    targets: list[str], names: list[str], *, threads: int, transfers_each: int, seed: int
) -> tuple[set[str], list[BaseException]]:
    """Random transfers from `threads` clients; retries with the same request_id on transient errors.

    Returns the request_ids the server acknowledged; insufficient funds refusals are expected and fine.
    """
    acknowledged: set[str] = set()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(worker: int) -> None:
        rng = random.Random(seed * 1000 + worker)
        channels = [grpc.insecure_channel(t) for t in targets]
        stubs = [ledger_pb2_grpc.LedgerServiceStub(c) for c in channels]
        try:
            for n in range(transfers_each):
                source, target = rng.sample(names, 2)
                amount = Decimal(rng.randint(1, 40000)) / 100
                request = pb.PostTransactionsRequest(transactions=[_transfer(f"w{worker}-{n}", source, target, amount)])
                for attempt in range(20):
                    try:
                        stubs[(n + attempt) % len(stubs)].PostTransactions(request, timeout=30)
                        with lock:
                            acknowledged.add(f"w{worker}-{n}")
                        break
                    except grpc.RpcError as error:
                        if error.code() == grpc.StatusCode.FAILED_PRECONDITION:
                            break  # insufficient funds: a correct refusal
                        if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED):
                            time.sleep(0.05)
                            continue
                        raise
        except BaseException as exc:  # surfaced to the test thread
            failures.append(exc)
        finally:
            for c in channels:
                c.close()

    workers = [threading.Thread(target=client, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return acknowledged, failures


def _assert_sound(ledger: Ledger, names: list[str], acknowledged: set[str]) -> None:
    balances = ledger.batch_get_balances(names)
    assert all(b.balance >= 0 for b in balances), [(b.account.name, b.balance) for b in balances]
    total = sum(b.balance for b in balances)
    assert total == ACCOUNTS * int(OPENING * 100), "CNY was created or destroyed"
    assert ledger.trial_balance("bank") == {"CNY": 0}
    report = verify_book(ledger, "bank")
    assert report.ok, report.faults
    listed = []
    token = ""
    while True:
        page = ledger.list_transactions(party="parties/bank", page_size=1000, page_token=token)
        listed.extend(tx.request_id for tx in page.items)
        token = page.next_page_token
        if not token:
            break
    transfers = [r for r in listed if not r.startswith("fund-")]
    assert len(transfers) == len(set(transfers)), "a transfer was posted twice"
    assert set(transfers) == acknowledged, "acknowledged and stored transfers differ"
    # Gapless sequence: the book head equals the number of legs.
    assert report.head_sequence == report.legs_checked == len(listed)


def test_threads_against_one_server(
    stub: ledger_pb2_grpc.LedgerServiceStub, server_address: str, ledger: Ledger
) -> None:
    names = _setup_book(stub)
    acknowledged, failures = _run_clients([server_address], names, threads=8, transfers_each=40, seed=1)
    assert not failures, failures
    assert len(acknowledged) > 100
    _assert_sound(ledger, names, acknowledged)


def test_same_request_id_from_many_threads_posts_once(stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger) -> None:
    names = _setup_book(stub)
    request = pb.PostTransactionsRequest(transactions=[_transfer("the-one", names[0], names[1], Decimal("10.00"))])
    results: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        response = stub.PostTransactions(request, timeout=30)
        with lock:
            results.append(response.transactions[0].name)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(results) == 12 and len(set(results)) == 1
    first, second = ledger.batch_get_balances(names[:2])
    assert first.balance == 100_000 - 1_000 and second.balance == 100_000 + 1_000


@pytest.fixture
def two_servers(postgres_url: str) -> Iterator[list[str]]:
    """Two server processes serving the same PostgreSQL database."""
    processes = []
    addresses = []
    for _ in range(2):
        port = free_port()
        address = f"127.0.0.1:{port}"
        code = f"from server.app import serve; serve({address!r}, {postgres_url!r}, migrate=False)"
        processes.append(subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE))
        addresses.append(address)
    try:
        for address, process in zip(addresses, processes, strict=True):
            wait_until_serving(address, process, timeout=30)
        yield addresses
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            assert process.wait(timeout=30) == 0


@pytest.mark.postgres
def test_two_server_processes_on_one_postgres(two_servers: list[str], postgres_url: str) -> None:
    from ledger import db

    with grpc.insecure_channel(two_servers[0]) as channel:
        names = _setup_book(ledger_pb2_grpc.LedgerServiceStub(channel))
    acknowledged, failures = _run_clients(two_servers, names, threads=8, transfers_each=40, seed=2)
    assert not failures, failures
    engines = db.create_engines(postgres_url)
    try:
        _assert_sound(Ledger(engines), names, acknowledged)
    finally:
        engines.dispose()
