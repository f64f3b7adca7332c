"""Read replicas: what a consistency token costs a write, and balance reads on a standby vs the primary.

`python -m bench.read_replicas [--calls 1000]` (needs the hot standby of `make standby` on 127.0.0.1:5433,
or TOUDAI_BENCH_STANDBY_URL). Not part of `make bench`'s targets; docs/performance.md has its figures.

One fresh database on the primary (bench.databases: 2 books of 50 CNY accounts), waited for on the
standby. Two servers in this process on that database: A routes reads (server.read_routing, the standby
as replica-1, lag bound 60 s) and puts a token on every write; B is the plain server (primary only).
One client, calls one after another, alternating A and B call by call so that load from elsewhere on
the machine hits both alike:

1. single-transfer PostTransactions: A (write + the WAL-position read for the token) vs B;
2. GetBalance: A with the client's token (served by the standby once it has replayed it), A without a
   token (the standby, within the bound), and B (the primary);
3. the token's WAL-position read (CommitPositions.after_commit) alone, one caller after another, then
   shared by 16 concurrent writers (16 threads, 200 calls each): queries sent per call (1.0 = no sharing).

Ratios are within the run (A / B); both servers, the client, the primary and the standby share the
machine's cores, so this measures routing's overhead, not the capacity a standby on its own machine adds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable

import grpc
import sqlalchemy as sa

from bench import databases, machine
from ledger import db
from ledger.consistency import CommitPositions, parse_lsn
from ledger.store import Ledger
from server.app import create_server
from server.read_routing import SERVED_BY_HEADER, TOKEN_HEADER, read_router_for
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc

STANDBY_URL = os.environ.get("TOUDAI_BENCH_STANDBY_URL", "postgresql://postgres@127.0.0.1:5433/postgres")


def _transfer(chart: databases.Chart) -> pb.PostTransactionsRequest:
    party = chart.parties[0]
    return pb.PostTransactionsRequest(
        transactions=[
            pb.TransactionInput(
                request_id=str(uuid.uuid4()),
                postings=[
                    pb.Posting(
                        account=chart.name(party, chart.codes[0]),
                        side=pb.SIDE_DEBIT,
                        amount=pb.Amount(commodity="CNY", value="1.00"),
                    ),
                    pb.Posting(
                        account=chart.name(party, chart.codes[1]),
                        side=pb.SIDE_CREDIT,
                        amount=pb.Amount(commodity="CNY", value="1.00"),
                    ),
                ],
            )
        ],
        view=pb.TRANSACTION_VIEW_BASIC,
    )


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _summary(name: str, seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1e6
    print(f"  {name:<38} p50 {p50:8.0f} µs   p99 {p99:8.0f} µs")
    return p50, p99


def _wait_on_standby(url: str, position: int) -> None:
    engine = sa.create_engine(url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with engine.connect() as connection:
                    replayed = connection.exec_driver_sql("SELECT pg_last_wal_replay_lsn()::text").scalar_one()
                    if parse_lsn(str(replayed)) >= position:
                        connection.exec_driver_sql("SELECT 1 FROM accounts LIMIT 1")
                        return
            except sa.exc.DBAPIError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"the standby did not catch up within 60 s ({url})")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per kind and server (default %(default)s)")
    args = parser.parse_args()
    admin = databases.admin_url()
    print("\n".join(machine.describe(admin).lines()))
    url = databases.create_postgres_database(admin, "replicas")
    standby_url = sa.make_url(db.normalise_url(STANDBY_URL)).set(database=sa.make_url(url).database)
    standby = standby_url.render_as_string(hide_password=False)
    try:
        chart = databases.migrate_and_seed(url, 100)
        engines = db.create_engines(url)
        with engines.writer.connect() as connection:
            position = parse_lsn(str(connection.exec_driver_sql("SELECT pg_current_wal_lsn()::text").scalar_one()))
        _wait_on_standby(standby, position)
        router = read_router_for(engines, [standby], max_lag=60.0)
        assert router is not None
        server_a, port_a = create_server(Ledger(engines), "127.0.0.1:0", read_router=router)
        plain = db.create_engines(url)
        server_b, port_b = create_server(Ledger(plain), "127.0.0.1:0")
        server_a.start()
        server_b.start()
        account = chart.name(chart.parties[0], chart.codes[0])
        with grpc.insecure_channel(f"127.0.0.1:{port_a}") as ch_a, grpc.insecure_channel(f"127.0.0.1:{port_b}") as ch_b:
            a, b = pb_grpc.LedgerServiceStub(ch_a), pb_grpc.LedgerServiceStub(ch_b)
            for _ in range(200):  # warm-up
                a.PostTransactions(_transfer(chart))
                b.PostTransactions(_transfer(chart))
                a.GetBalance(pb.GetBalanceRequest(account=account))
                b.GetBalance(pb.GetBalanceRequest(account=account))
            print(f"\nsingle-transfer PostTransactions, {args.calls} calls each, alternating:")
            writes_a, writes_b, token = [], [], ""
            queries_before = router._positions.queries
            for _ in range(args.calls):
                started = time.perf_counter()
                _, call = a.PostTransactions.with_call(_transfer(chart))
                writes_a.append(time.perf_counter() - started)
                token = dict(call.trailing_metadata())[TOKEN_HEADER]
                writes_b.append(_timed(lambda: b.PostTransactions(_transfer(chart))))
            wa, _ = _summary("A: with a consistency token", writes_a)
            wb, _ = _summary("B: plain", writes_b)
            queries = router._positions.queries - queries_before
            print(f"  ratio A/B p50 {wa / wb:.3f}; WAL-position queries per write {queries / args.calls:.2f}")

            _wait_on_standby(standby, parse_lsn(token))
            print(f"\nGetBalance, {args.calls} calls each, alternating:")
            token_reads, free_reads, primary_reads = [], [], []
            served: dict[str, int] = {}
            request = pb.GetBalanceRequest(account=account)
            for _ in range(args.calls):
                started = time.perf_counter()
                _, call = a.GetBalance.with_call(request, metadata=[(TOKEN_HEADER, token)])
                token_reads.append(time.perf_counter() - started)
                where = dict(call.trailing_metadata())[SERVED_BY_HEADER]
                served[where] = served.get(where, 0) + 1
                started = time.perf_counter()
                _, call = a.GetBalance.with_call(request)
                free_reads.append(time.perf_counter() - started)
                where = dict(call.trailing_metadata())[SERVED_BY_HEADER]
                served[where] = served.get(where, 0) + 1
                primary_reads.append(_timed(lambda: b.GetBalance(request)))
            t50, _ = _summary("A: with the token (standby)", token_reads)
            f50, _ = _summary("A: no token (standby within 60 s)", free_reads)
            p50, _ = _summary("B: primary", primary_reads)
            print(f"  ratio standby/primary p50: with token {t50 / p50:.3f}, without {f50 / p50:.3f}; served {served}")

        positions = CommitPositions(engines.writer)
        started = time.perf_counter()
        for _ in range(args.calls):
            positions.after_commit()
        alone = (time.perf_counter() - started) / args.calls
        positions.close()
        print(f"\nthe token's WAL-position read alone, one caller: {alone * 1e6:.0f} µs per write")
        print("the token's WAL-position read shared by 16 concurrent writers (200 each):")
        positions = CommitPositions(engines.writer)

        def worker() -> None:
            for _ in range(200):
                positions.after_commit()

        threads = [threading.Thread(target=worker) for _ in range(16)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        positions.close()
        print(
            f"  {16 * 200} calls, {positions.queries} queries ({positions.queries / 3200:.2f} per call), "
            f"{elapsed / 3200 * 1e6:.0f} µs per call"
        )
        server_a.stop(0).wait()
        server_b.stop(0).wait()
        router.stop()
        engines.dispose()
        plain.dispose()
        print(f"\nload average at the end: {os.getloadavg()}")
    finally:
        databases.drop_postgres_database(admin, url)


if __name__ == "__main__":
    main()
