"""Issue 20 item 1: where the wall time of one batched PostTransactions call goes, and the floor it implies.

    python -m bench.posting_budget                      # batch 1,000, ~20 s of interleaved calls
    python -m bench.posting_budget --batches 1000,8000  # also batch 8,000
    python -m bench.posting_budget --json var/budget.json

Method. One run creates four fresh PostgreSQL databases (named toudai_budget_*, migrated and seeded as
`python -m bench ledger` does: bench.databases.migrate_and_seed, 100 CNY accounts over two books):

- toudai, logged: a real toudai server (bench.ledger_throughput.server_process: its own process, group
  commit on, as the bench runs it); the database has `log_min_duration_statement = 0` and
  `log_parameter_max_length = 0` (ALTER DATABASE, set after seeding and before the server connects), so
  PostgreSQL writes every statement the server's connections run, with its duration, to its log;
- toudai, unlogged: the same without statement logging, to see what the logging itself costs;
- raw COPY, logged and unlogged: bench.ledger_throughput's baseline (psycopg binary COPY into
  transactions, legs and postings, then the balance and book-head UPDATEs, one committed database
  transaction per batch; the write is copied here from `run_postgres_copy`, whose writer is a closure).

One client process sends calls to the four in turn (round robin, one call at a time), so load from other
work on the machine falls on all four alike. Each call's request (gRPC) or rows (COPY) are built before
its clock starts, with the bench's own builders (`_request`, `Workload`, `_RowMaker`); the clock covers
what `python -m bench ledger` times: serialising the request, the call and parsing the response (gRPC), or
the COPYs, UPDATEs and COMMIT (raw). Per call, outside the clock, the client times in-process, on the same
messages, the stub's own request serialiser (`SerializeToString`) and response deserialiser (`FromString`
on the response's bytes) in thread CPU time. The client process's CPU inside the clock (all its threads,
gRPC's core included) is kept too.

Server CPU: the server process's user + system time (all threads, /proc/PID/stat, as the bench reads it)
from the first measured call to the last, divided by its calls. The server is bench.ledger_throughput's
`_serve`, started the way `server_process` starts it, with the servicer's PostTransactions wrapped first
(as `_serve`'s own profiler does) to add up each call's wall and handler-thread CPU inside the handler:
the client's wall minus that is what happens outside the handler (gRPC on both sides, (de)serialising,
the loopback network); the handler's wall minus all server CPU minus PostgreSQL's time is what the server
spends waiting (hand-offs to the group committer, the GIL, a CPU). PostgreSQL: the log between two byte
offsets taken just before the first and just after the last measured call (a backend writes a
statement's duration line before it answers the client), lines of the logged databases only (the
log_line_prefix must carry %d), each `duration:` summed by statement kind (simple-protocol statements
and the extended protocol's parse, bind and execute steps alike). A COPY FROM STDIN's duration includes
the time PostgreSQL waits for the client's rows. The PostgreSQL backends' own CPU (/proc of the
databases' backend pids) is shown beside it: the difference is mostly waiting (COMMIT's WAL fsync, COPY
data, the CPU run queue). On a shared machine, how long each process sat runnable without a CPU is shown
too (/proc/PID/task/*/schedstat, summed over a process's threads, so not additive: threads of one
process wait at the same time).

Per transfer, in µs: wall; client (serialise + parse); server process CPU; PostgreSQL time; remainder =
wall − those three (network, gRPC transport, thread hand-offs, waits; negative if things overlap). The
floor is the wall toudai would have with a server that spends zero CPU (client + PostgreSQL +
remainder = wall − server CPU), as a share of raw COPY's rate; with it, the server CPU per transfer that
60 % of raw COPY would allow, and how many times less CPU the server would need. The floor assumes the
server's CPU overlaps nothing (true of the posting's Python, which runs between the locking read and the
write; the group committer's answer-while-committing overlaps a little), so it is optimistic: it keeps
the statements the server sends today (so the rows it writes), the client and the transport, and takes
away all of the server process's CPU (Python, gRPC's core, the driver). It is given twice: from the
logged pair (the decomposed figures) and from the unlogged twins (what `python -m bench ledger` sees).

Needs PostgreSQL (TOUDAI_BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/postgres) as a
superuser (for the logging settings), and read access to its log file (--pg-log; default the newest
/var/log/postgresql/postgresql-*.log, as Debian's pg_ctlcluster writes it with logging_collector off).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import multiprocessing as mp
import os
import re
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import sqlalchemy as sa

from bench import databases, machine
from bench import ledger_throughput as lt
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc as pb_grpc

PREFIX = "toudai_budget_"
TARGET = 0.60  # issue 20 item 1: of raw COPY's rate at batch 1,000
WARMUP_CALLS = 6  # psycopg prepares a statement on its 6th execution (prepare_threshold 5): reach that state


# ------------------------------------------------------------------------------------------ databases


def _admin(statement: str) -> None:
    with psycopg.connect(lt._psycopg_conninfo(databases.admin_url()), autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def create_database(role: str) -> str:
    name = f"{PREFIX}{role}_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    return sa.make_url(databases.admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    assert name is not None and name.startswith(PREFIX)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def log_statements(url: str) -> None:
    """Every statement of every later session on this database goes to the server log with its duration,
    without its parameters (a batch's array parameters would be hundreds of kB a call)."""
    name = sa.make_url(url).database
    _admin(f'ALTER DATABASE "{name}" SET log_min_duration_statement = 0')
    _admin(f'ALTER DATABASE "{name}" SET log_parameter_max_length = 0')


def db_name(url: str) -> str:
    name = sa.make_url(url).database
    assert name is not None
    return name


def backend_pids(names: list[str]) -> dict[str, list[int]]:
    with psycopg.connect(lt._psycopg_conninfo(databases.admin_url()), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname, pid FROM pg_stat_activity WHERE datname = ANY(%s) AND backend_type = 'client backend'",
            (names,),
        ).fetchall()
    out: dict[str, list[int]] = defaultdict(list)
    for name, pid in rows:
        out[name].append(pid)
    return out


def table_rows(url: str) -> dict[str, int]:
    """Exact row counts of every table the posting path or the baseline writes."""
    tables = ("transactions", "legs", "postings", "transaction_metadata", "daily_balances", "merkle_nodes", "holds")
    with psycopg.connect(lt._psycopg_conninfo(url), autocommit=True) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


def pg_settings() -> dict[str, str]:
    with psycopg.connect(lt._psycopg_conninfo(databases.admin_url()), autocommit=True) as conn:
        return {
            k: str(conn.execute(f"SHOW {k}").fetchone()[0])  # type: ignore[index]
            for k in ("server_version", "fsync", "synchronous_commit", "log_line_prefix", "wal_sync_method")
        }


# ------------------------------------------------------------------------------------- the log parser

_ESCAPES = {
    "m": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+",
    "t": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+",
    "n": r"\d+\.\d+",
    "p": r"(?P<pid>\d+)",
    "u": r"(?P<user>\S*)",
    "d": r"(?P<db>\S*)",
    "q": "",
    "%": "%",
}
_DURATION = re.compile(
    r"duration: (?P<ms>[0-9.]+) ms  (?:statement|(?P<step>parse|bind|execute) [^:]*):\s*(?P<sql>.*)", re.S
)


def prefix_regex(log_line_prefix: str) -> re.Pattern[str]:
    """A regex for a log line's prefix, from PostgreSQL's log_line_prefix (%d is required)."""
    if "%d" not in log_line_prefix:
        raise SystemExit(f"log_line_prefix {log_line_prefix!r} has no %d: cannot tell the databases apart in the log")
    out, i = [], 0
    while i < len(log_line_prefix):
        c = log_line_prefix[i]
        if c == "%" and i + 1 < len(log_line_prefix):
            out.append(_ESCAPES.get(log_line_prefix[i + 1], r".*?"))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("^" + "".join(out) + r"(?P<level>[A-Z]+):  (?P<message>.*)$")


def kind_of(sql: str) -> str:
    """A statement's kind, for the per-call sums."""
    s = " ".join(sql.split())
    upper = s.upper()
    if upper.startswith("BEGIN"):
        return "BEGIN"
    if upper.startswith("COMMIT"):
        return "COMMIT"
    if upper.startswith("ROLLBACK"):
        return "ROLLBACK"
    if "FROM BOOKS" in upper and "FOR UPDATE" in upper:
        return "read: book heads FOR UPDATE"
    if upper.startswith("SELECT REQUEST_ID, ID, FINGERPRINT FROM TRANSACTIONS"):
        return "read: request ids"
    if upper.startswith("SELECT ACCOUNT_ID, POSTED") and "FROM BALANCES" in upper:
        return "read: running totals"
    if "SET_CONFIG('STATEMENT_TIMEOUT'" in upper:
        return "lock-hold set_config"
    if upper.startswith("COPY "):
        return "COPY " + s.split()[1]
    if upper.startswith("WITH NEW_TRANSACTIONS"):
        return "write CTE (totals, per-day, heads)"
    if upper.startswith("UPDATE BALANCES"):
        return "UPDATE balances"
    if upper.startswith("UPDATE BOOKS"):
        return "UPDATE books"
    if upper in ("SELECT 1", ";", ""):
        return "pool ping"
    return "other: " + s[:60]


@dataclass(slots=True)
class LogSums:
    ms: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # kind -> total ms
    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # kind -> statements (execute/simple)
    steps_ms: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # parse/bind/execute/simple
    lines: int = 0

    @property
    def total_ms(self) -> float:
        return sum(self.ms.values())


def read_log(path: Path, start: int, end: int, names: set[str], prefix: re.Pattern[str]) -> dict[str, LogSums]:
    """Sum the `duration:` lines of databases `names` between byte offsets `start` and `end`."""
    with path.open("rb") as f:
        f.seek(start)
        text = f.read(end - start).decode("utf-8", errors="replace")
    sums: dict[str, LogSums] = {name: LogSums() for name in names}
    entries: list[tuple[str, str]] = []  # (db, message with continuation lines)
    current: list[Any] | None = None
    for line in text.split("\n"):
        m = prefix.match(line)
        if m is not None:
            current = (
                [m.group("db"), m.group("message")] if m.group("db") in names and m.group("level") == "LOG" else None
            )
            if current is not None:
                entries.append(current)  # type: ignore[arg-type]
        elif current is not None and line.startswith("\t"):
            current[1] += "\n" + line[1:]
    for name, message in entries:
        d = _DURATION.match(message)
        if d is None:
            continue
        kind = kind_of(d.group("sql"))
        ms = float(d.group("ms"))
        s = sums[name]
        s.ms[kind] += ms
        step = d.group("step") or "simple"
        s.steps_ms[step] += ms
        if step in ("simple", "execute"):
            s.count[kind] += 1
        s.lines += 1
    return sums


def default_log() -> Path | None:
    found = sorted(glob.glob("/var/log/postgresql/postgresql-*.log"), key=os.path.getmtime)
    return Path(found[-1]) if found else None


# ------------------------------------------------------------------------------------------- targets


@dataclass(slots=True)
class Target:
    """One of the four: toudai or raw COPY, logged or not; what its measured calls added up to."""

    method: str  # toudai | copy
    logged: bool
    url: str
    send: Any = None  # (batch) -> (payload-free call): set up per batch size
    pids: list[int] = field(default_factory=list)  # the server process (toudai)
    handler: Any = None  # the server's handler counters (toudai): calls, wall, thread CPU (shared memory)
    handler_wall: float | None = None
    handler_cpu: float | None = None
    calls: int = 0
    transfers: int = 0
    wall: float = 0.0
    call_seconds: list[float] = field(default_factory=list)
    client_cpu: float = 0.0  # the client process's CPU inside the clock (all threads)
    client_wait: float = 0.0  # the client process's run-queue wait inside the clock (all threads)
    serialise: float = 0.0  # thread CPU of the stub's serialiser on the same requests (toudai)
    parse: float = 0.0  # thread CPU of the stub's deserialiser on the same responses' bytes (toudai)
    request_bytes: int = 0
    response_bytes: int = 0
    server_cpu: float | None = None
    server_wait: float | None = None  # the server process's run-queue wait over the measured span
    backend_cpu: float | None = None
    backend_wait: float | None = None  # the database's backends' run-queue wait over the measured span
    log: LogSums | None = None
    rows_written: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method}{'' if self.logged else ' (unlogged)'}"

    @property
    def db(self) -> str:
        return db_name(self.url)

    def reset(self) -> None:
        self.calls = self.transfers = self.request_bytes = self.response_bytes = 0
        self.wall = self.client_cpu = self.client_wait = self.serialise = self.parse = 0.0
        self.call_seconds = []
        self.server_cpu = self.backend_cpu = self.server_wait = self.backend_wait = None
        self.handler_wall = self.handler_cpu = None
        self.log = None
        self.rows_written = {}


def _proc_cpu(pids: list[int]) -> float:
    return sum(lt.process_cpu_seconds(pid) or 0.0 for pid in pids)


def run_delay(pid: int) -> float:
    """Seconds the threads of process `pid` have spent runnable but waiting for a CPU (the run queue), from
    /proc/PID/task/*/schedstat (second field, ns); threads that have exited are not counted."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for task in tasks:
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the thread exited
    return total / 1e9


def _serve_timed(url: str, ready: Any, control: Any, handler: Any) -> None:
    """The server process: bench.ledger_throughput._serve unchanged, with the servicer's PostTransactions
    wrapped (before the server is built, as `_serve`'s own profiler does) to add each call's wall time and
    handler-thread CPU inside the handler to `handler` (calls, wall seconds, thread CPU seconds)."""
    from server.ledger_servicer import LedgerServicer

    original = LedgerServicer.PostTransactions

    def timed(self: Any, request: Any, context: Any) -> Any:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(self, request, context)
        finally:
            wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
            with handler.get_lock():
                handler[0] += 1
                handler[1] += wall
                handler[2] += cpu

    LedgerServicer.PostTransactions = timed  # type: ignore[method-assign]
    lt._serve(url, ready, control, False, True, None)


@contextlib.contextmanager
def timed_server(url: str) -> Iterator[tuple[int, int, Any]]:
    """(port, pid, handler counters) of a toudai server in its own process, as lt.server_process starts one
    (spawned, group commit on), with the handler timed (`_serve_timed`)."""
    context = mp.get_context("spawn")
    ready, control = context.Queue(), context.Queue()
    handler = context.Array("d", 3)
    process = context.Process(target=_serve_timed, args=(url, ready, control, handler), name="toudai-budget-server")
    process.start()
    try:
        port = ready.get(timeout=120)
        assert process.pid is not None
        yield port, process.pid, handler
    finally:
        control.put(("stop", ""))
        process.join(60)
        if process.is_alive():  # pragma: no cover - only if the server hangs
            process.terminate()
            process.join(10)


def _grpc_sender(target: Target, port: int, chart: Any, run_id: str) -> Any:
    options = [
        ("grpc.max_receive_message_length", lt.MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", lt.MAX_MESSAGE_BYTES),
    ]
    channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=options)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = pb_grpc.LedgerServiceStub(channel)
    method = stub.PostTransactions
    serialise = getattr(method, "_request_serializer", None) or pb.PostTransactionsRequest.SerializeToString
    deserialise = getattr(method, "_response_deserializer", None) or pb.PostTransactionsResponse.FromString
    workload = lt.Workload(chart)
    counter = [0]
    me = os.getpid()

    def send(batch: int, measured: bool) -> None:
        request = lt._request(workload.take(batch), chart, run_id, counter, 0, 0)  # built before the clock
        wait0 = run_delay(me)
        cpu0 = time.process_time()
        started = time.perf_counter()
        response = method(request, timeout=600)  # as bench.ledger_throughput.run_grpc's send
        assert len(response.transactions) == len(request.transactions)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        wait = run_delay(me) - wait0
        if not measured:
            return
        t0 = time.thread_time()
        data = serialise(request)
        t1 = time.thread_time()
        answer = response.SerializeToString()
        t2 = time.thread_time()
        deserialise(answer)
        t3 = time.thread_time()
        target.calls += 1
        target.transfers += batch
        target.wall += elapsed
        target.call_seconds.append(elapsed)
        target.client_cpu += cpu
        target.client_wait += wait
        target.serialise += t1 - t0
        target.parse += t3 - t2
        target.request_bytes += len(data)
        target.response_bytes += len(answer)

    send.channel = channel  # type: ignore[attr-defined]
    return send


def _copy_writer(conn: psycopg.Connection[Any]) -> Any:
    """bench.ledger_throughput.run_postgres_copy's `write`, copied (it is a closure there), unchanged."""

    def write(rows: Any) -> None:
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy(f"COPY transactions ({lt._TX_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(lt._TX_TYPES)
                for row in rows.transactions:
                    copy.write_row(row)
            with cur.copy(
                "COPY legs (party_id, seq, transaction_id, prev_hash, hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(lt._LEG_TYPES)
                for row in rows.legs:
                    copy.write_row(row)
            with cur.copy("COPY postings (party_id, seq, idx, account_id, amount) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(lt._POSTING_TYPES)
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

    return write


def _copy_sender(target: Target, conn: psycopg.Connection[Any], chart: Any) -> Any:
    ids = databases.account_ids(target.url)
    heads = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT party_id, head_seq, head_hash FROM books")}
    maker = lt._RowMaker(ids, heads, text_ids=False)
    workload = lt.Workload(chart)
    write = _copy_writer(conn)
    me = os.getpid()

    def send(batch: int, measured: bool) -> None:
        rows = maker.make(workload.take(batch))  # built before the clock, as in the bench
        wait0 = run_delay(me)
        cpu0 = time.process_time()
        started = time.perf_counter()
        write(rows)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        wait = run_delay(me) - wait0
        if measured:
            target.calls += 1
            target.transfers += batch
            target.wall += elapsed
            target.call_seconds.append(elapsed)
            target.client_cpu += cpu
            target.client_wait += wait

    return send


# --------------------------------------------------------------------------------------- measurement


def measure(
    targets: list[Target],
    batch: int,
    seconds: float,
    calls: int | None,
    log_path: Path,
    prefix: re.Pattern[str],
) -> None:
    for target in targets:
        target.reset()
    for _ in range(WARMUP_CALLS):
        for target in targets:
            target.send(batch, False)
    before_rows = {t.db: table_rows(t.url) for t in targets}
    names = [t.db for t in targets]
    pids_at_start = backend_pids(names)
    wait_start = {t.db: {pid: run_delay(pid) for pid in pids_at_start.get(t.db, []) + t.pids} for t in targets}
    backend_start = {
        t.db: {pid: lt.process_cpu_seconds(pid) or 0.0 for pid in pids_at_start.get(t.db, [])} for t in targets
    }
    server_start = {t.db: _proc_cpu(t.pids) for t in targets if t.pids}
    handler_start = {t.db: tuple(t.handler[:]) for t in targets if t.handler is not None}
    log_start = log_path.stat().st_size
    started = time.perf_counter()
    rounds = 0
    while (calls is not None and rounds < calls) or (
        calls is None and (rounds < 3 or time.perf_counter() - started < seconds)
    ):
        for target in targets:
            target.send(batch, True)
        rounds += 1
    log_end = log_path.stat().st_size
    server_end = {t.db: _proc_cpu(t.pids) for t in targets if t.pids}
    for target in targets:
        if target.handler is not None:
            handled, wall, cpu = (b - a for a, b in zip(handler_start[target.db], target.handler[:], strict=True))
            assert round(handled) == target.calls, (handled, target.calls)
            target.handler_wall, target.handler_cpu = wall, cpu
    pids_at_end = backend_pids(names)
    for target in targets:
        if target.pids:
            target.server_cpu = server_end[target.db] - server_start[target.db]
        start = backend_start[target.db]
        total = 0.0
        for pid in set(start) | set(pids_at_end.get(target.db, [])):
            now = lt.process_cpu_seconds(pid)
            if now is not None:
                total += now - start.get(pid, 0.0)  # a backend that started during the run: all its CPU
        target.backend_cpu = total
        waits = wait_start[target.db]
        target.server_wait = sum(run_delay(pid) - waits.get(pid, 0.0) for pid in target.pids) if target.pids else None
        target.backend_wait = sum(
            run_delay(pid) - waits.get(pid, 0.0) for pid in set(start) | set(pids_at_end.get(target.db, []))
        )
    sums = read_log(log_path, log_start, log_end, {t.db for t in targets if t.logged}, prefix)
    for target in targets:
        if target.logged:
            target.log = sums[target.db]
        after = table_rows(target.url)
        target.rows_written = {k: after[k] - before_rows[target.db][k] for k in after}


# ------------------------------------------------------------------------------------------- reports


def budget(target: Target) -> dict[str, Any]:
    """Per transfer, µs: the decomposition of one target's wall."""
    n = target.transfers
    wall = target.wall / n * 1e6
    client = (target.serialise + target.parse) / n * 1e6 if target.method == "toudai" else 0.0
    server = target.server_cpu / n * 1e6 if target.server_cpu is not None else 0.0
    pg = target.log.total_ms / 1e3 / n * 1e6 if target.log is not None else None
    out: dict[str, Any] = {
        "target": target.name,
        "calls": target.calls,
        "transfers": n,
        "transfers_per_second": n / target.wall,
        "wall_us": wall,
        "call_p50_ms": sorted(target.call_seconds)[len(target.call_seconds) // 2] * 1e3,
        "client_serialise_us": target.serialise / n * 1e6,
        "client_parse_us": target.parse / n * 1e6,
        "client_process_cpu_in_clock_us": target.client_cpu / n * 1e6,
        "server_cpu_us": server if target.server_cpu is not None else None,
        "server_handler_wall_us": target.handler_wall / n * 1e6 if target.handler_wall is not None else None,
        "server_handler_thread_cpu_us": target.handler_cpu / n * 1e6 if target.handler_cpu is not None else None,
        "postgres_backend_cpu_us": target.backend_cpu / n * 1e6 if target.backend_cpu is not None else None,
        "client_run_queue_us": target.client_wait / n * 1e6,
        "server_run_queue_us": target.server_wait / n * 1e6 if target.server_wait is not None else None,
        "postgres_backend_run_queue_us": target.backend_wait / n * 1e6 if target.backend_wait is not None else None,
        "request_bytes_per_transfer": target.request_bytes / n,
        "response_bytes_per_transfer": target.response_bytes / n,
        "rows_inserted_per_transfer": {k: v / n for k, v in target.rows_written.items() if v},
    }
    if pg is not None and target.log is not None:
        out["postgres_us"] = pg
        out["postgres_by_kind_us"] = {
            k: v / 1e3 / n * 1e6 for k, v in sorted(target.log.ms.items(), key=lambda kv: -kv[1])
        }
        out["postgres_statements_per_call"] = {k: v / target.calls for k, v in target.log.count.items()}
        out["postgres_by_step_us"] = {k: v / 1e3 / n * 1e6 for k, v in target.log.steps_ms.items()}
        if target.method == "toudai":
            out["remainder_us"] = wall - client - server - pg
            out["remainder_client_other_cpu_us"] = out["client_process_cpu_in_clock_us"] - client
        else:  # the baseline's client is the Python encoding the COPY rows, inside the clock
            out["remainder_us"] = wall - out["client_process_cpu_in_clock_us"] - pg
            out["remainder_client_other_cpu_us"] = 0.0
        out["remainder_rest_us"] = out["remainder_us"] - out["remainder_client_other_cpu_us"]
        if out["server_handler_wall_us"] is not None:
            # Outside the servicer's method: the client's serialising, parsing and gRPC core, the network, and the
            # server's gRPC core and (de)serialising. Inside it: the server's Python and PostgreSQL, and waits.
            out["outside_handler_us"] = wall - out["server_handler_wall_us"]
            out["inside_handler_not_cpu_or_pg_us"] = out["server_handler_wall_us"] - server - pg
    return out


def floor(toudai: dict[str, Any], copy: dict[str, Any]) -> dict[str, Any]:
    """The wall with a server of zero CPU, as a share of raw COPY, and what 60 % would allow the server."""
    floor_us = toudai["wall_us"] - (toudai["server_cpu_us"] or 0.0)
    target_us = copy["wall_us"] / TARGET
    allowed = target_us - floor_us
    server = toudai["server_cpu_us"] or 0.0

    return {
        "toudai_ratio": copy["wall_us"] / toudai["wall_us"],
        "floor_us": floor_us,
        "floor_ratio": copy["wall_us"] / floor_us,
        "wall_at_60_percent_us": target_us,
        "server_cpu_allowed_at_60_percent_us": allowed,
        "server_cpu_reduction_needed": server / allowed if allowed > 0 else None,
    }


def _f(value: float | None, width: int = 10, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width},.{digits}f}"


def _row(label: str, toudai: float | None, copy: float | None = None, extra: str = "") -> str:
    return f"{label:<52}{_f(toudai)}{_f(copy)}{extra}"


def render(
    batch: int, reports: dict[str, dict[str, Any]], floors: dict[str, dict[str, Any]], loads: tuple[str, str]
) -> list[str]:
    t, c = reports["toudai"], reports["copy"]
    tu, cu = reports.get("toudai (unlogged)"), reports.get("copy (unlogged)")
    lines = [
        f"batch {batch:,}: {t['calls']} calls per target, round robin; "
        f"load average {loads[0]} at the start, {loads[1]} at the end",
        "",
        f"{'µs per transfer':<52}{'toudai':>10}{'raw COPY':>10}",
        _row("wall (the bench client clock)", t["wall_us"], c["wall_us"]),
        _row("  client: serialise request (stub serialiser)", t["client_serialise_us"]),
        _row("  client: parse response (stub deserialiser)", t["client_parse_us"]),
        _row("  client: COPY encoding (client process CPU)", None, c["client_process_cpu_in_clock_us"]),
        _row("  server process CPU (all threads)", t["server_cpu_us"]),
        _row("  PostgreSQL: statement durations, all kinds", t.get("postgres_us"), c.get("postgres_us")),
    ]
    t_kinds, c_kinds = t.get("postgres_by_kind_us", {}), c.get("postgres_by_kind_us", {})
    t_count, c_count = t.get("postgres_statements_per_call", {}), c.get("postgres_statements_per_call", {})
    for kind in dict.fromkeys([*t_kinds, *c_kinds]):
        counts = "/".join(f"{n:.3g}" if n is not None else "-" for n in (t_count.get(kind), c_count.get(kind)))
        lines.append(_row("    " + kind[:46], t_kinds.get(kind), c_kinds.get(kind), f"  ({counts} per call)"))
    lines += [
        _row("  remainder (network, gRPC, hand-offs, waits, overlap)", t.get("remainder_us"), c.get("remainder_us")),
        _row(
            "    client's other CPU in the clock (gRPC core)",
            t.get("remainder_client_other_cpu_us"),
            c.get("remainder_client_other_cpu_us"),
        ),
        _row(
            "    the rest (network, hand-offs, waits, overlap)", t.get("remainder_rest_us"), c.get("remainder_rest_us")
        ),
        "",
        "toudai's wall split at the server's handler (the servicer's PostTransactions method):",
        _row("  wall outside it (gRPC both sides, (de)serialising, network)", t.get("outside_handler_us")),
        _row("  wall inside it", t.get("server_handler_wall_us")),
        _row("    the handler thread's own CPU", t.get("server_handler_thread_cpu_us")),
        _row("    inside − all server CPU − PostgreSQL (waits, hand-offs)", t.get("inside_handler_not_cpu_or_pg_us")),
        "",
        _row(
            "PostgreSQL backends' CPU (part of their time)", t["postgres_backend_cpu_us"], c["postgres_backend_cpu_us"]
        ),
        "run-queue wait (runnable, waiting for a CPU), summed over a process's threads, so not additive:",
        _row("  the server process's threads", t["server_run_queue_us"]),
        _row("  the client process's threads, inside the clock", t["client_run_queue_us"], c["client_run_queue_us"]),
        _row(
            "  the database's PostgreSQL backends",
            t["postgres_backend_run_queue_us"],
            c["postgres_backend_run_queue_us"],
        ),
        _row(
            "client process CPU inside the clock (all threads)",
            t["client_process_cpu_in_clock_us"],
            c["client_process_cpu_in_clock_us"],
        ),
        f"{'toudai request / response bytes per transfer':<52}"
        f"{t['request_bytes_per_transfer']:>10.1f} / {t['response_bytes_per_transfer']:.1f}",
        _row("transfers/s (logged)", t["transfers_per_second"], c["transfers_per_second"]),
    ]
    if tu is not None and cu is not None:
        lines += [
            _row("transfers/s (unlogged twins)", tu["transfers_per_second"], cu["transfers_per_second"]),
            _row("wall µs per transfer (unlogged twins)", tu["wall_us"], cu["wall_us"]),
            _row("server process CPU µs per transfer (unlogged twin)", tu["server_cpu_us"]),
        ]
    lines.append(
        "rows inserted per transfer: toudai "
        + ", ".join(f"{k} {v:.2f}" for k, v in t["rows_inserted_per_transfer"].items())
        + "; raw COPY "
        + ", ".join(f"{k} {v:.2f}" for k, v in c["rows_inserted_per_transfer"].items())
    )
    lines.append("")
    for label, fl in floors.items():
        reduction = fl["server_cpu_reduction_needed"]
        lines.append(
            f"{label}: toudai {fl['toudai_ratio']:.1%} of raw COPY; floor (zero server CPU) {fl['floor_us']:.1f} µs "
            f"= {fl['floor_ratio']:.1%} of raw COPY; 60 % needs ≤ {fl['wall_at_60_percent_us']:.1f} µs of wall, "
            f"leaving {fl['server_cpu_allowed_at_60_percent_us']:.1f} µs of server CPU "
            + (f"({reduction:.1f}× less than now)" if reduction is not None else "(unreachable: floor above it)")
        )
    return lines


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _batches(text: str) -> list[int]:
    sizes = [int(p) for p in text.split(",") if p.strip()]
    if not sizes or any(s < 1 or s > 10_000 for s in sizes):
        raise argparse.ArgumentTypeError("batch sizes are 1 to 10,000")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.posting_budget",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Method: see the module docstring (bench/posting_budget.py). Results: docs/performance.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--batches", type=_batches, default=[1_000], help="batch sizes (default 1000; e.g. 1000,8000)")
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="measured seconds per batch size, all targets (default 20)"
    )
    parser.add_argument("--calls", type=int, help="measured calls per target per batch size (overrides --seconds)")
    parser.add_argument("--accounts", type=int, default=100, help="accounts over two books (default 100, as the bench)")
    parser.add_argument("--no-unlogged", action="store_true", help="skip the unlogged twins (logging's cost unseen)")
    parser.add_argument("--pg-log", type=Path, help="PostgreSQL's log file (default: newest /var/log/postgresql/*.log)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    log_path = args.pg_log or default_log()
    if log_path is None or not log_path.exists():
        print("PostgreSQL's log file not found: give --pg-log", file=sys.stderr)
        return 2
    admin = databases.admin_url()
    if not databases.postgres_reachable(admin):
        print(f"PostgreSQL at {admin} is unreachable", file=sys.stderr)
        return 2
    settings = pg_settings()
    prefix = prefix_regex(settings["log_line_prefix"])
    info = machine.describe(admin)
    print("toudai posting budget (issue 20 item 1): where a batched PostTransactions call's wall time goes")
    print("\n".join(info.lines()))
    print(f"postgres log {log_path} (log_line_prefix {settings['log_line_prefix']!r})")
    made: list[str] = []
    results: dict[str, Any] = {"machine": info.lines(), "settings": settings, "batches": []}
    try:
        targets: list[Target] = []
        roles = [("toudai", True), ("copy", True)] + ([] if args.no_unlogged else [("toudai", False), ("copy", False)])
        charts = {}
        for method, logged in roles:
            url = create_database(f"{method}_{'log' if logged else 'nolog'}")
            made.append(url)
            charts[url] = databases.migrate_and_seed(url, args.accounts)
            if logged:
                log_statements(url)  # after seeding, before anything measured connects
            targets.append(Target(method, logged, url))
        print("databases: " + ", ".join(t.db for t in targets))
        with contextlib.ExitStack() as stack:
            run_id = uuid.uuid4().hex[:8]
            for target in targets:
                if target.method == "toudai":
                    port, pid, target.handler = stack.enter_context(timed_server(target.url))
                    target.pids = [pid]
                    target.send = _grpc_sender(target, port, charts[target.url], run_id)
                    stack.callback(target.send.channel.close)
                else:
                    conn = stack.enter_context(psycopg.connect(lt._psycopg_conninfo(target.url), autocommit=True))
                    target.send = _copy_sender(target, conn, charts[target.url])
            for batch in args.batches:
                load_start = _load()
                started = time.perf_counter()
                measure(targets, batch, args.seconds, args.calls, log_path, prefix)
                load_end = _load()
                reports = {t.name: budget(t) for t in targets}
                floors = {"logged (decomposed)": floor(reports["toudai"], reports["copy"])}
                if not args.no_unlogged:
                    floors["unlogged twins"] = floor(reports["toudai (unlogged)"], reports["copy (unlogged)"])
                print()
                print("\n".join(render(batch, reports, floors, (load_start, load_end))))
                print(f"(batch {batch}: {time.perf_counter() - started:.0f} s)")
                results["batches"].append(
                    {
                        "batch": batch,
                        "load": [load_start, load_end],
                        "targets": reports,
                        "floors": floors,
                    }
                )
    finally:
        if not args.keep:
            for url in made:
                drop_database(url)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
