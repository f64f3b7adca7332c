"""The client side of the concurrent-clients benchmark (bench/concurrent_clients.py): client processes
whose threads send one transfer per call through gRPC, or write the same rows straight to PostgreSQL or
SQLite (the raw baseline), and report their latencies and CPU."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import resource
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class ClientSpec:
    """What one client thread needs: its book, its two accounts (names for gRPC, ids for raw)."""

    index: int
    party: str
    first: Any  # an account name (gRPC) or the account's id as the database stores it (raw)
    second: Any


#: One client thread's step: given its random source and call number, build the payload (untimed) and
#: return the call to time.
Step = Callable[[random.Random, int], Callable[[], None]]


def _today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def _grpc_caller(port: int, run_id: str) -> Callable[[ClientSpec], Step]:
    import grpc
    from google.type import date_pb2

    from toudai.v1 import ledger_pb2 as pb
    from toudai.v1 import ledger_pb2_grpc as pb_grpc

    def make(spec: ClientSpec) -> Step:
        # Its own subchannel pool: without it every channel of a process to one target shares one HTTP/2
        # connection, and a server's workers (SO_REUSEPORT spreads connections) would see 4 clients, not 16.
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)])
        grpc.channel_ready_future(channel).result(timeout=60)
        stub = pb_grpc.LedgerServiceStub(channel)
        today = _today()
        date = date_pb2.Date(year=today.year, month=today.month, day=today.day)

        def build(rnd: random.Random, n: int) -> Any:
            amount = rnd.randint(1, 10_000_000)
            value = f"{amount // 100}.{amount % 100:02d}"
            debit, credit = (spec.first, spec.second) if rnd.random() < 0.5 else (spec.second, spec.first)
            return pb.PostTransactionsRequest(
                transactions=[
                    pb.TransactionInput(
                        request_id=f"cc-{run_id}-{spec.index}-{n}",
                        value_date=date,
                        description="benchmark transfer",
                        postings=[
                            pb.Posting(
                                account=debit, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=value)
                            ),
                            pb.Posting(
                                account=credit, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=value)
                            ),
                        ],
                    )
                ]
            )

        def call(request: Any) -> None:
            response = stub.PostTransactions(request, timeout=60)
            if len(response.transactions) != 1:
                raise RuntimeError("unexpected response")

        return _timed(build, call)

    return make


def _timed(build: Callable[[random.Random, int], Any], call: Callable[[Any], None]) -> Step:
    """A step function: build the payload (untimed), then return it for the timed call."""

    def step(rnd: random.Random, n: int) -> Callable[[], None]:
        payload = build(rnd, n)
        return lambda: call(payload)

    return step


_TX_INSERT = (
    "INSERT INTO transactions (id, request_id, fingerprint, value_date, description, metadata_json, reverses, "
    "created_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
_LEG_INSERT = "INSERT INTO legs (party_id, seq, transaction_id, prev_hash, hash) VALUES ({p}, {p}, {p}, {p}, {p})"
_POSTINGS_INSERT = (
    "INSERT INTO postings (party_id, seq, idx, account_id, amount) "
    "VALUES ({p}, {p}, 0, {p}, {p}), ({p}, {p}, 1, {p}, {p})"
)
_BALANCE_UPDATE = "UPDATE balances SET posted = posted + {p} WHERE account_id = {p}"
_HEAD_SELECT = "SELECT head_seq, head_hash FROM books WHERE party_id = {p}"
_HEAD_UPDATE = "UPDATE books SET head_seq = {p}, head_hash = {p} WHERE party_id = {p}"


def _raw_rows(spec: ClientSpec, run_id: str, rnd: random.Random, n: int) -> tuple[Any, ...]:
    amount = rnd.randint(1, 10_000_000)
    debit, credit = (spec.first, spec.second) if rnd.random() < 0.5 else (spec.second, spec.first)
    return uuid.uuid4(), f"raw-{run_id}-{spec.index}-{n}", amount, debit, credit


def _postgres_caller(conninfo: str, run_id: str) -> Callable[[ClientSpec], Any]:
    import psycopg

    def make(spec: ClientSpec) -> Any:
        conn = psycopg.connect(conninfo, autocommit=True)
        p = "%s"
        tx_insert, leg_insert = _TX_INSERT.format(p=p), _LEG_INSERT.format(p=p)
        postings_insert, balance_update = _POSTINGS_INSERT.format(p=p), _BALANCE_UPDATE.format(p=p)
        head_select, head_update = _HEAD_SELECT.format(p=p) + " FOR UPDATE", _HEAD_UPDATE.format(p=p)
        today = _today()

        def call(rows: tuple[Any, ...]) -> None:
            tx_id, request_id, amount, debit, credit = rows
            with conn.transaction(), conn.cursor() as cur:
                seq, prev = cur.execute(head_select, (spec.party,)).fetchone()  # type: ignore[misc]
                seq += 1
                digest = hashlib.sha256(f"{spec.party}|{seq}|{prev}|{tx_id}".encode()).hexdigest()
                cur.execute(
                    tx_insert,
                    (
                        tx_id,
                        request_id,
                        hashlib.sha256(request_id.encode()).hexdigest(),
                        today,
                        "benchmark transfer",
                        "{}",
                        None,
                        dt.datetime.now(dt.UTC),
                    ),
                )
                cur.execute(leg_insert, (spec.party, seq, tx_id, prev, digest))
                cur.execute(postings_insert, (spec.party, seq, debit, amount, spec.party, seq, credit, -amount))
                cur.execute(balance_update, (amount, debit))
                cur.execute(balance_update, (-amount, credit))
                cur.execute(head_update, (seq, digest, spec.party))

        return _timed(lambda rnd, n: _raw_rows(spec, run_id, rnd, n), call)

    return make


def _sqlite_caller(path: str, run_id: str, lock: Any) -> Callable[[ClientSpec], Any]:
    def make(spec: ClientSpec) -> Any:
        conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=60000"):
            conn.execute(f"PRAGMA {pragma}")
        p = "?"
        tx_insert, leg_insert = _TX_INSERT.format(p=p), _LEG_INSERT.format(p=p)
        postings_insert, balance_update = _POSTINGS_INSERT.format(p=p), _BALANCE_UPDATE.format(p=p)
        head_select, head_update = _HEAD_SELECT.format(p=p), _HEAD_UPDATE.format(p=p)
        today = _today().isoformat()

        def write(tx_id: str, request_id: str, amount: int, debit: Any, credit: Any) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                seq, prev = conn.execute(head_select, (spec.party,)).fetchone()
                seq += 1
                digest = hashlib.sha256(f"{spec.party}|{seq}|{prev}|{tx_id}".encode()).hexdigest()
                created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                fingerprint = hashlib.sha256(request_id.encode()).hexdigest()
                conn.execute(
                    tx_insert, (tx_id, request_id, fingerprint, today, "benchmark transfer", "{}", None, created)
                )
                conn.execute(leg_insert, (spec.party, seq, tx_id, prev, digest))
                conn.execute(postings_insert, (spec.party, seq, debit, amount, spec.party, seq, credit, -amount))
                conn.execute(balance_update, (amount, debit))
                conn.execute(balance_update, (-amount, credit))
                conn.execute(head_update, (seq, digest, spec.party))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        def call(rows: tuple[Any, ...]) -> None:
            tx_uuid, request_id, amount, debit, credit = rows
            with lock:  # one writer at a time, queued on a semaphore (see the module docstring)
                write(tx_uuid.hex, request_id, amount, debit, credit)

        return _timed(lambda rnd, n: _raw_rows(spec, run_id, rnd, n), call)

    return make


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_process(kind: str, target: Any, run_id: str, specs: list[ClientSpec], go: Any, out: Any, lock: Any) -> None:
    """One client process: one thread per spec, each calling one transfer at a time until told to stop."""
    if kind == "grpc":
        factory = _grpc_caller(target, run_id)
    elif kind == "postgresql":
        factory = _postgres_caller(target, run_id)
    else:
        factory = _sqlite_caller(target, run_id, lock)
    steps = [factory(spec) for spec in specs]
    out.put(("ready", os.getpid()))
    start_at, warmup, seconds = go.get()
    measure_at, stop_at = start_at + warmup, start_at + warmup + seconds
    records: list[list[tuple[float, float]]] = [[] for _ in specs]
    errors: list[str] = []

    def run(i: int) -> None:
        rnd = random.Random(f"{run_id}-{specs[i].index}")
        n = 0
        mine = records[i]
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while True:
            n += 1
            call = steps[i](rnd, n)
            started = time.monotonic()
            if started >= stop_at:
                return
            try:
                call()
            except Exception as error:  # counted, never retried
                errors.append(f"{type(error).__name__}: {str(error)[:200]}")
                continue
            mine.append((started, time.monotonic()))

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(specs))]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, measure_at - time.monotonic()))
    cpu_start = _cpu_seconds()
    time.sleep(max(0.0, stop_at - time.monotonic()))
    cpu = _cpu_seconds() - cpu_start
    for thread in threads:
        thread.join(120)
    out.put(("done", [r for rs in records for r in rs if r[1] >= measure_at], cpu, errors[:20], len(errors)))
