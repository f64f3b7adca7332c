"""Benchmark 1 (and 6): batched two-posting transfers per second, through gRPC and raw, same rows.

The gRPC figure: a real toudai server (server.app.create_server over ledger.store.Ledger) runs in its
own process, so that client and server do not share a GIL, on a freshly migrated database seeded with
two parties (books) and their CNY accounts. One client sends PostTransactions calls one after another,
each a batch of N transfers; a transfer is one transaction with two postings (a debit and a credit
between two accounts of one book), so it extends one book's hash chain by one leg. Each request is
built before its clock starts; the clock covers serialising it, the call, and parsing the response
(which carries every transaction and the touched balances).

The baseline: the same rows written straight into the same tables of another fresh database with the
same migrations (so the same indexes), one database transaction per batch of the same size, committed:
on PostgreSQL a psycopg 3 binary COPY into transactions, legs and postings, then the balance update as
one UPDATE ... FROM (VALUES ...) and the book heads as another; on SQLite, executemany inserts and
updates inside BEGIN IMMEDIATE, WAL and synchronous=FULL as the ledger uses. The baseline does no
validation, no idempotency lookup, no locking read of the book heads, no per-day balance upsert and no
canonical hashing (its hashes are one SHA-256 of a short string): it is what the database alone costs,
and the ratio says how much of that the ledger keeps.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import hashlib
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import psycopg
import sqlalchemy as sa
from google.type import date_pb2

from bench.databases import COMMODITY, Chart, account_ids
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class Plan:
    """How much to measure at one batch size: stop at `transfers`, or after `max_seconds` of calls."""

    batch: int
    transfers: int
    max_seconds: float
    warmup_calls: int = 1
    min_calls: int = 3


@dataclass(frozen=True, slots=True)
class Transfer:
    party: str
    debit: str
    credit: str
    amount: int  # minor units (fen)


@dataclass(slots=True)
class Measurement:
    backend: str  # postgresql | sqlite
    method: str  # grpc | raw
    batch: int
    transfers: int = 0
    seconds: float = 0.0
    call_seconds: list[float] = field(default_factory=list)
    server_cpu_seconds: float | None = None  # gRPC: the server process's CPU time (all threads) over the calls

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_us_per_transfer(self) -> float | None:
        """The server's CPU per transfer: steadier than the rate on a shared machine (other processes' load
        stretches the wall clock far more than the server's own CPU time)."""
        if self.server_cpu_seconds is None or not self.transfers:
            return None
        return self.server_cpu_seconds / self.transfers * 1e6

    def percentile(self, q: float) -> float:
        if not self.call_seconds:
            return 0.0
        if len(self.call_seconds) == 1:
            return self.call_seconds[0]
        return statistics.quantiles(self.call_seconds, n=100, method="inclusive")[round(q) - 1]


class Workload:
    """A deterministic stream of transfers: a random pair of accounts in alternating books."""

    def __init__(self, chart: Chart, seed: int = 20260101) -> None:
        self._chart = chart
        self._random = random.Random(seed)
        self._count = 0

    def take(self, n: int) -> list[Transfer]:
        out = []
        codes = self._chart.codes
        for _ in range(n):
            party = self._chart.parties[self._count % len(self._chart.parties)]
            debit, credit = self._random.sample(codes, 2)
            out.append(Transfer(party, debit, credit, self._random.randint(1, 10_000_000)))
            self._count += 1
        return out


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid`, all threads (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


def _today() -> dt.date:
    return dt.datetime.now(ZONE).date()


def _measure(
    measurement: Measurement,
    plan: Plan,
    workload: Workload,
    prepare: Any,
    send: Any,
    on_measured_start: Any = None,
) -> Measurement:
    """Warm up, then time `send(prepare(transfers))` batch after batch until the plan is met."""
    for _ in range(plan.warmup_calls):
        send(prepare(workload.take(plan.batch)))
    if on_measured_start is not None:
        on_measured_start()
    calls = 0
    while calls < plan.min_calls or (measurement.transfers < plan.transfers and measurement.seconds < plan.max_seconds):
        payload = prepare(workload.take(plan.batch))
        started = time.perf_counter()
        send(payload)
        elapsed = time.perf_counter() - started
        measurement.seconds += elapsed
        measurement.call_seconds.append(elapsed)
        measurement.transfers += plan.batch
        calls += 1
    return measurement


# ---------------------------------------------------------------------------------------------- gRPC


def _serve(
    url: str, ready: Any, control: Any, profile: bool, group_commit: bool = True, port: int | None = None
) -> None:
    """The server process: a real toudai server on a free port until told to stop.

    Commands on `control`: ("stop", ""), ("reset-profile", ""), ("dump-profile", path), and ("stats", ""),
    which answers (groups written, calls written) of the ledger's group committer ((0, 0) without one).
    With `port` (a worker of several: `server_process(workers=N)`), it shares that port (SO_REUSEPORT);
    with 0, it picks a free port to share.
    """
    import logging

    logging.basicConfig(level=logging.WARNING)
    from ledger import db
    from ledger.store import Ledger
    from server.app import create_server
    from server.ledger_servicer import LedgerServicer
    from server.runtime import tune_gc

    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        # Calls run on the server's worker threads, where a profiler enabled here would not see them; wrap
        # the handler instead (the client sends one call at a time, so one profiler is never re-entered).
        original = LedgerServicer.PostTransactions

        def profiled(self: LedgerServicer, request: Any, context: Any) -> Any:
            return profiler.runcall(original, self, request, context)

        LedgerServicer.PostTransactions = profiled  # type: ignore[method-assign]
    engines = db.create_engines(url)
    ledger = Ledger(engines, group_commit=group_commit)
    server, port = create_server(ledger, f"127.0.0.1:{port or 0}", reuse_port=port is not None)
    server.start()
    tune_gc()  # as `toudai serve` does (server/runtime.py)
    ready.put(port)
    try:
        while True:
            command, argument = control.get()
            if command == "stop":
                break
            if command == "reset-profile" and profiler is not None:
                profiler = cProfile.Profile()
                ready.put("ok")
            elif command == "dump-profile" and profiler is not None:
                profiler.dump_stats(argument)
                ready.put("ok")
            elif command == "stats":
                committer = ledger.committer
                ready.put((committer.groups_written, committer.calls_written) if committer is not None else (0, 0))
    finally:
        server.stop(None).wait()
        engines.dispose()


@dataclass(slots=True)
class ServerProcess:
    """The benchmark's toudai server: one process, or several workers sharing `port` (`pids`)."""

    port: int
    pid: int  # the first worker's
    control: Any
    ready: Any
    pids: tuple[int, ...] = ()
    others: tuple[tuple[Any, Any], ...] = ()  # the other workers' (control, ready) queues

    def ask(self, command: str, argument: str = "") -> Any:
        """A command to every worker; "stats" answers the sum of their (groups, calls), others the first's."""
        self.control.put((command, argument))
        answer = self.ready.get(timeout=60)
        for control, ready in self.others:
            control.put((command, argument))
            other = ready.get(timeout=60)
            if command == "stats":
                answer = (answer[0] + other[0], answer[1] + other[1])
        return answer


@contextmanager
def server_process(
    url: str, *, profile: bool = False, group_commit: bool = True, workers: int = 1
) -> Iterator[ServerProcess]:
    """A toudai server in its own process; with `workers` > 1, that many processes sharing one port with
    SO_REUSEPORT, as `toudai serve --workers N` runs them (each client connection goes to one of them)."""
    context = mp.get_context("spawn")
    queues = []
    processes = []
    port: int | None = None if workers == 1 else 0
    try:
        for index in range(workers):
            ready, control = context.Queue(), context.Queue()
            process = context.Process(
                target=_serve,
                args=(url, ready, control, profile, group_commit, port),
                name=f"toudai-bench-server-{index}",
            )
            process.start()
            processes.append(process)
            queues.append((control, ready))
            bound = ready.get(timeout=120)
            port = bound if port in (None, 0) else port
        assert port is not None and all(p.pid is not None for p in processes)
        yield ServerProcess(
            port,
            processes[0].pid,  # type: ignore[arg-type]
            queues[0][0],
            queues[0][1],
            tuple(p.pid for p in processes),  # type: ignore[misc]
            tuple(queues[1:]),
        )
    finally:
        for control, _ in queues:
            control.put(("stop", ""))
        for process in processes:
            process.join(60)
            if process.is_alive():  # pragma: no cover - only if the server hangs
                process.terminate()
                process.join(10)


def _request(
    transfers: Sequence[Transfer], chart: Chart, run_id: str, counter: list[int], view: int = 0, back_date: int = 0
) -> Any:
    today = _today() - dt.timedelta(days=back_date)
    date = date_pb2.Date(year=today.year, month=today.month, day=today.day)
    transactions = []
    for transfer in transfers:
        counter[0] += 1
        value = f"{transfer.amount // 100}.{transfer.amount % 100:02d}"
        transactions.append(
            pb.TransactionInput(
                request_id=f"bench-{run_id}-{counter[0]}",
                value_date=date,
                description="benchmark transfer",
                postings=[
                    pb.Posting(
                        account=chart.name(transfer.party, transfer.debit),
                        side=pb.SIDE_DEBIT,
                        amount=pb.Amount(commodity=COMMODITY, value=value),
                    ),
                    pb.Posting(
                        account=chart.name(transfer.party, transfer.credit),
                        side=pb.SIDE_CREDIT,
                        amount=pb.Amount(commodity=COMMODITY, value=value),
                    ),
                ],
            )
        )
    return pb.PostTransactionsRequest(transactions=transactions, view=view)


@contextmanager
def _py_spy(pid: int, output: Path | None) -> Iterator[Any]:
    """Sample the server with py-spy (if asked) from when the measured calls start until the end."""
    holder: dict[str, subprocess.Popen[bytes]] = {}

    def start() -> None:
        if output is None:
            return
        holder["p"] = subprocess.Popen(
            ["py-spy", "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--output", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # let py-spy attach before the clock starts

    try:
        yield start
    finally:
        spy = holder.get("p")
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)


def run_grpc(
    backend: str,
    url: str,
    chart: Chart,
    plans: Sequence[Plan],
    *,
    profile_dir: Path | None = None,
    py_spy_dir: Path | None = None,
    basic_from: int | None = None,
    back_date: int = 0,
    log: Any = print,
) -> list[Measurement]:
    """Measure each plan with the full view; from `basic_from` transfers per call on, with the basic view too
    (method "grpc-basic": the answer leaves out the postings the client sent, see TransactionView).
    Transfers are dated `back_date` days before today."""
    run_id = uuid.uuid4().hex[:8]
    counter = [0]
    workload = Workload(chart)
    results = []
    with server_process(url, profile=profile_dir is not None) as server:
        log(f"  server pid {server.pid} on 127.0.0.1:{server.port}")
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        with grpc.insecure_channel(f"127.0.0.1:{server.port}", options=options) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            stub = pb_grpc.LedgerServiceStub(channel)

            def send(request: Any) -> None:
                response = stub.PostTransactions(request, timeout=600)
                assert len(response.transactions) == len(request.transactions)

            runs = [
                (plan, view)
                for plan in plans
                for view in (("full", "basic") if basic_from is not None and plan.batch >= basic_from else ("full",))
            ]
            for plan, view in runs:
                suffix = "" if view == "full" else "-basic"
                spy_out = py_spy_dir / f"py-spy-{backend}-batch{plan.batch}{suffix}.txt" if py_spy_dir else None
                code = pb.TRANSACTION_VIEW_BASIC if view == "basic" else pb.TRANSACTION_VIEW_UNSPECIFIED

                cpu_at_start: list[float | None] = [None]

                def on_start(cpu_at_start: list[float | None] = cpu_at_start) -> None:
                    if profile_dir is not None:
                        server.ask("reset-profile")
                    start_spy()
                    cpu_at_start[0] = process_cpu_seconds(server.pid)

                with _py_spy(server.pid, spy_out) as start_spy:
                    measured = _measure(
                        Measurement(backend, f"grpc{suffix}", plan.batch),
                        plan,
                        workload,
                        lambda transfers, code=code: _request(transfers, chart, run_id, counter, code, back_date),  # type: ignore[misc]
                        send,
                        on_start,
                    )
                cpu_at_end = process_cpu_seconds(server.pid)
                if cpu_at_start[0] is not None and cpu_at_end is not None:
                    measured.server_cpu_seconds = cpu_at_end - cpu_at_start[0]
                if profile_dir is not None:
                    stats = profile_dir / f"cprofile-{backend}-batch{plan.batch}{suffix}.prof"
                    server.ask("dump-profile", str(stats))
                cpu = measured.server_cpu_us_per_transfer
                log(
                    f"  gRPC {backend:10} batch {plan.batch:>5} view {view:5}: {measured.rate:>9,.0f} transfers/s"
                    + (f", server CPU {cpu:.1f} µs per transfer" if cpu is not None else "")
                )
                results.append(measured)
    return results


# ------------------------------------------------------------------------------------- raw baselines


@dataclass(slots=True)
class _Rows:
    transactions: list[tuple[Any, ...]] = field(default_factory=list)
    legs: list[tuple[Any, ...]] = field(default_factory=list)
    postings: list[tuple[Any, ...]] = field(default_factory=list)
    deltas: dict[Any, int] = field(default_factory=lambda: defaultdict(int))
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)


class _RowMaker:
    """The rows the ledger would write for a batch, with valid-looking values and a real SHA-256 chain."""

    def __init__(self, ids: dict[tuple[str, str], Any], heads: dict[str, tuple[int, str]], *, text_ids: bool) -> None:
        self._ids = ids
        self._heads = dict(heads)
        self._text = text_ids
        self._run = uuid.uuid4().hex[:8]
        self._counter = 0

    def make(self, transfers: Sequence[Transfer]) -> _Rows:
        rows = _Rows()
        now = dt.datetime.now(dt.UTC)
        today = _today()
        created: Any = now.strftime("%Y-%m-%d %H:%M:%S.%f") if self._text else now
        value_date: Any = today.isoformat() if self._text else today
        for transfer in transfers:
            self._counter += 1
            tx_uuid = uuid.uuid4()
            tx_id: Any = tx_uuid.hex if self._text else tx_uuid
            request_id = f"raw-{self._run}-{self._counter}"
            seq, prev = self._heads[transfer.party]
            seq += 1
            digest = hashlib.sha256(f"{transfer.party}|{seq}|{prev}|{tx_uuid}".encode()).hexdigest()
            self._heads[transfer.party] = (seq, digest)
            debit = self._ids[(transfer.party, transfer.debit)]
            credit = self._ids[(transfer.party, transfer.credit)]
            rows.transactions.append(
                (
                    tx_id,
                    request_id,
                    hashlib.sha256(request_id.encode()).hexdigest(),
                    value_date,
                    "benchmark transfer",
                    "{}",
                    None,
                    created,
                )
            )
            rows.legs.append((transfer.party, seq, tx_id, prev, digest))
            rows.postings.append((transfer.party, seq, 0, debit, transfer.amount))
            rows.postings.append((transfer.party, seq, 1, credit, -transfer.amount))
            rows.deltas[debit] += transfer.amount
            rows.deltas[credit] -= transfer.amount
        rows.heads = {party: self._heads[party] for party in {t.party for t in transfers}}
        return rows


_TX_COLUMNS = "id, request_id, fingerprint, value_date, description, metadata_json, reverses, created_at"
_TX_TYPES = ["uuid", "varchar", "varchar", "date", "text", "text", "uuid", "timestamptz"]
_LEG_TYPES = ["varchar", "int8", "uuid", "varchar", "varchar"]
_POSTING_TYPES = ["varchar", "int8", "int4", "uuid", "int8"]


def _psycopg_conninfo(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def run_postgres_copy(url: str, chart: Chart, plans: Sequence[Plan], *, log: Any = print) -> list[Measurement]:
    ids = account_ids(url)
    with psycopg.connect(_psycopg_conninfo(url), autocommit=True) as conn:
        heads = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT party_id, head_seq, head_hash FROM books")}
        maker = _RowMaker(ids, heads, text_ids=False)

        def write(rows: _Rows) -> None:
            with conn.transaction(), conn.cursor() as cur:
                with cur.copy(f"COPY transactions ({_TX_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(_TX_TYPES)
                    for row in rows.transactions:
                        copy.write_row(row)
                with cur.copy(
                    "COPY legs (party_id, seq, transaction_id, prev_hash, hash) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_LEG_TYPES)
                    for row in rows.legs:
                        copy.write_row(row)
                with cur.copy(
                    "COPY postings (party_id, seq, idx, account_id, amount) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_POSTING_TYPES)
                    for row in rows.postings:
                        copy.write_row(row)
                deltas = sorted(rows.deltas.items())
                cur.execute(
                    "UPDATE balances AS b SET posted = b.posted + v.delta FROM (VALUES "
                    + ", ".join(["(%s::uuid, %s::bigint)"] * len(deltas))
                    + ") AS v(account_id, delta) WHERE b.account_id = v.account_id",
                    [x for pair in deltas for x in pair],
                )
                heads_ = sorted(rows.heads.items())
                cur.execute(
                    "UPDATE books AS b SET head_seq = v.seq, head_hash = v.hash FROM (VALUES "
                    + ", ".join(["(%s::varchar, %s::bigint, %s::varchar)"] * len(heads_))
                    + ") AS v(party_id, seq, hash) WHERE b.party_id = v.party_id",
                    [x for party, (seq, digest) in heads_ for x in (party, seq, digest)],
                )

        workload = Workload(chart)
        results = []
        for plan in plans:
            measured = _measure(Measurement("postgresql", "raw", plan.batch), plan, workload, maker.make, write)
            log(f"  COPY postgresql batch {plan.batch:>5}: {measured.rate:>9,.0f} transfers/s")
            results.append(measured)
        return results


def run_sqlite_raw(path: str, chart: Chart, plans: Sequence[Plan], *, log: Any = print) -> list[Measurement]:
    ids = account_ids(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        heads = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT party_id, head_seq, head_hash FROM books")}
        maker = _RowMaker(ids, heads, text_ids=True)

        def write(rows: _Rows) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    f"INSERT INTO transactions ({_TX_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)", rows.transactions
                )
                conn.executemany(
                    "INSERT INTO legs (party_id, seq, transaction_id, prev_hash, hash) VALUES (?,?,?,?,?)", rows.legs
                )
                conn.executemany(
                    "INSERT INTO postings (party_id, seq, idx, account_id, amount) VALUES (?,?,?,?,?)", rows.postings
                )
                conn.executemany(
                    "UPDATE balances SET posted = posted + ? WHERE account_id = ?",
                    [(delta, account) for account, delta in sorted(rows.deltas.items())],
                )
                conn.executemany(
                    "UPDATE books SET head_seq = ?, head_hash = ? WHERE party_id = ?",
                    [(seq, digest, party) for party, (seq, digest) in sorted(rows.heads.items())],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        workload = Workload(chart)
        results = []
        for plan in plans:
            measured = _measure(Measurement("sqlite", "raw", plan.batch), plan, workload, maker.make, write)
            log(f"  raw  sqlite     batch {plan.batch:>5}: {measured.rate:>9,.0f} transfers/s")
            results.append(measured)
        return results
    finally:
        conn.close()


def default_plans(sizes: Sequence[int], scale: float = 1.0) -> list[Plan]:
    """Per batch size: how many transfers to aim for and a time cap, sized for ~5 minutes on 2 cores."""
    table = {1: (3_000, 12.0), 100: (30_000, 15.0), 1_000: (60_000, 20.0), 8_000: (80_000, 25.0)}
    plans = []
    for size in sizes:
        transfers, seconds = table.get(size, (max(10 * size, 10_000), 20.0))
        warmup = 100 if size == 1 else 1  # batch 1: also fills the server's account cache
        plans.append(Plan(size, max(size, int(transfers * scale)), seconds * scale, warmup_calls=warmup))
    return plans
