"""Exercises under concurrency and across a crash, on PostgreSQL over real gRPC (issue 6).

The world is that of the settlement tests (tests/integration/settlement_world.py works out every figure):
100,000 option units on hz-main, the pool owed 200,000.00 on the borrower, a qualifying round at 25.00.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import grpc
import pytest

from ledger import db
from ledger.store import Ledger
from tests.integration.settlement_world import (
    ALICE,
    ARM,
    BANK,
    BOB,
    MAIN,
    POOL,
    World,
    acct,
    exercise_accounts,
    exercise_of,
    split_of,
)
from tests.serving import free_port, wait_until_serving
from toudai.v1 import ledger_pb2_grpc, settlement_pb2_grpc
from toudai.v1 import settlement_pb2 as spb

ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@ON_POSTGRES
def test_twenty_concurrent_requests_never_reserve_more_units_than_exist(
    channel: grpc.Channel, stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger, server_address: str
) -> None:
    world = World(channel, stub, ledger).build()
    # 20 requests of 7,000 units against 100,000: exactly 14 fit (98,000); 6 must be refused.
    start = threading.Barrier(20)
    accepted: list[str] = []
    refusals: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        try:
            with grpc.insecure_channel(server_address) as own:
                settlement = settlement_pb2_grpc.SettlementServiceStub(own)
                message = world.request_message(7_000, request_id=f"race-{n}")
                start.wait(timeout=30)
                try:
                    found = exercise_of(settlement.RequestExercise(message, metadata=ALICE, timeout=60))
                    with lock:
                        accepted.append(found.name)
                except grpc.RpcError as error:
                    if error.code() != grpc.StatusCode.FAILED_PRECONDITION:  # type: ignore[attr-defined]
                        raise
                    with lock:
                        refusals.append(error.details() or "")  # type: ignore[attr-defined]
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert (len(accepted), len(refusals)) == (14, 6), refusals
    world.books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "98000", acct(ARM, "cash"): "980000.00"})
    world.books.check()
    listed = world.settlement.ListExercises(spb.ListExercisesRequest(deal=f"deals/{MAIN}")).exercises
    assert sorted(e.name for e in listed) == sorted(accepted)
    assert sum(e.quantity for e in listed) == 98_000

    # Settle them all concurrently too: the pool's 200,000.00 is reimbursed once, in total.
    for name in accepted:
        world.approve(name)
    settled: list[spb.Exercise] = []

    def settle(name: str) -> None:
        try:
            with grpc.insecure_channel(server_address) as own:
                settlement = settlement_pb2_grpc.SettlementServiceStub(own)
                request = spb.SettleExerciseRequest(request_id=f"settle-{name}", name=name)
                found = exercise_of(settlement.SettleExercise(request, metadata=BOB, timeout=60))
                with lock:
                    settled.append(found)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=settle, args=(name,)) for name in accepted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    # Each: 7,000 × 15 = 105,000.00. 98,000 × 15 = 1,470,000.00 in all; 200,000.00 to the pool first,
    # then 1,270,000.00 split; each exercise's split by largest remainder, so sum them.
    assert sum(split_of(e.split)[1] for e in settled) == Decimal("200000.00")
    assert sum(split_of(e.split)[0] for e in settled) == Decimal("1470000.00")
    world.books.update(
        {
            # Whatever the order: the first settled gives all its 105,000.00 to the pool, the second 95,000.00
            # (the rest of the 200,000.00) and splits 10,000.00 as 3,000 / 5,000 / 2,000, the other twelve
            # split 105,000.00 as 31,500 / 52,500 / 21,000: bank 381,000.00, arm 635,000.00, pool 254,000.00.
            acct(ARM, f"options.{MAIN}"): "2000",
            acct(ARM, f"options-exercised.{MAIN}"): "98000",
            acct(ARM, "option-gains"): "635000.00",
            # 5,000,000.00 − 980,000.00 strike + 2,450,000.00 sales − 381,000.00 − 454,000.00 paid on
            acct(ARM, "cash"): "5635000.00",
            acct(BANK, "clearing"): "-419000.00",  # −800,000.00 + 381,000.00
            acct(BANK, "option-gain-income"): "381000.00",
            acct(POOL, "cash"): "1254000.00",  # 800,000.00 + 200,000.00 + 254,000.00
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "254000.00",
        },
        {},
    )
    world.books.check()


@pytest.fixture
def served(postgres_url: str) -> Iterator[dict[str, Any]]:
    """A toudai server process on `postgres_url` that the test can kill and restart."""
    state: dict[str, Any] = {"url": postgres_url, "process": None}

    def start() -> str:
        address = f"127.0.0.1:{free_port()}"
        code = f"from server.app import serve; serve({address!r}, {postgres_url!r}, migrate=False)"
        process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)  # never fills a pipe
        state["process"] = process
        wait_until_serving(address, process, timeout=30)
        return address

    state["start"] = start
    try:
        yield state
    finally:
        process = state["process"]
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.postgres
def test_a_crash_between_approve_and_settle_settles_correctly_after_restart(served: dict[str, Any]) -> None:
    engines = db.create_engines(served["url"])
    ledger = Ledger(engines)
    try:
        address = served["start"]()
        with grpc.insecure_channel(address) as channel:
            world = World(channel, ledger_pb2_grpc.LedgerServiceStub(channel), ledger).build()
            x = world.request(100_000)
            world.approve(x.name)
        # kill -9: no graceful shutdown of anything.
        os.kill(served["process"].pid, signal.SIGKILL)
        served["process"].wait(timeout=30)

        address = served["start"]()
        with grpc.insecure_channel(address) as channel:
            books = world.books
            world = World(channel, ledger_pb2_grpc.LedgerServiceStub(channel), ledger)
            books.stub = world.stub
            world.books = books
            books.update(exercise_accounts())
            found = world.get(x.name)
            assert found.state == spb.EXERCISE_STATE_APPROVED
            world.books.update({}, {acct(ARM, f"options.{MAIN}"): "100000", acct(ARM, "cash"): "1000000.00"})
            world.books.check()  # the holds survived the crash
            settled = world.settle(x.name, request_id="settle-after-crash")
            assert split_of(settled.split) == tuple(
                Decimal(v) for v in ("1500000.00", "200000.00", "0", "390000.00", "650000.00", "260000.00")
            )
            assert world.settle(x.name, request_id="settle-after-crash") == settled  # posted once
            world.books.update(
                {
                    acct(ARM, "cash"): "5650000.00",
                    acct(ARM, f"options.{MAIN}"): "0",
                    acct(ARM, f"options-exercised.{MAIN}"): "100000",
                    acct(ARM, "option-gains"): "650000.00",
                    acct(BANK, "clearing"): "-410000.00",
                    acct(BANK, "option-gain-income"): "390000.00",
                    acct(POOL, "cash"): "1260000.00",
                    acct(POOL, "reimbursement-income"): "200000.00",
                    acct(POOL, "option-gain-income"): "260000.00",
                },
                {},
            )
            world.books.check()
    finally:
        engines.dispose()
