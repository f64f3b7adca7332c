"""Benchmark 2 (and 6): single transfers from 16 concurrent clients, throughput and latency.

`python -m bench.concurrent_clients [--seconds 8] [--processes 4 --threads 4]`

Issue 9 item 2: 16 concurrent clients, each sending one transfer per call (PostTransactions with one
two-posting transaction), against a real toudai server in its own process (ledger_throughput's
server process: server.app.create_server over ledger.store.Ledger, group commit on by default), on
PostgreSQL; item 6: the same on SQLite. Target: >= 2,000 transfers/s with p99 < 25 ms.

The clients are processes x threads (default 4 x 4), so they share no GIL with the server or with more
than three other clients; each thread has its own gRPC channel (HTTP/2 connection). Each client has its
own two accounts (no two clients touch the same balance row) in one of the two books (clients
alternate between the books, so eight clients extend each hash chain), and each call moves a random
amount (0.01 to 100,000.00 CNY) one way or the other between them. A request is built before its clock
starts; the clock covers the call (serialise, send, wait, parse). All clients start together, run
`--warmup` seconds unmeasured, then `--seconds` measured: throughput counts the calls that complete in
the measured window, latency percentiles are over the calls that start in it.

Measured in the same run, on fresh databases with the same chart:

- the client ceiling: the same clients against a do-nothing LedgerService (its own process, answers
  every call with a canned response of the same shape): what the client side can generate here;
- toudai with group commit (the default) and with `Ledger(group_commit=False)` (one database
  transaction per call), both through gRPC;
- raw, the database alone: the same client layout, each client thread with its own database connection
  committing one database transaction per transfer with the rows the ledger writes (like pgledger's
  benchmark): lock the book head (SELECT ... FOR UPDATE), INSERT the transaction, its leg (a SHA-256
  chain link) and its two postings, UPDATE the two balances and the book head, COMMIT. psycopg 3 on
  PostgreSQL; sqlite3 with BEGIN IMMEDIATE, WAL and synchronous=FULL on SQLite. No validation, no
  idempotency lookup, no per-day totals, no gRPC. On SQLite, where one writer at a time is all the
  database allows, the raw writers queue on one cross-process lock (a semaphore) around BEGIN IMMEDIATE
  ... COMMIT: without it, sqlite3's busy handler (sleeps of 1 to 100 ms between retries) decides the
  figure, with p99 around one second.

CPU, in cores over the measured window: the clients' own (getrusage in each client process), the
server process's (/proc), the PostgreSQL backends connected to the run's database (pg_stat_activity
and /proc, when PostgreSQL runs on this machine) and the whole machine's busy time (/proc/stat, other
work on the machine included). Calls per database transaction come from the group committer's counters
in the server process. `--py-spy DIR` records the server thread holding the GIL with py-spy (on PATH;
not a project dependency) during each toudai run, in collapsed-stack format.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import databases
from bench.concurrent_callers import (
    TICKS,
    ClientSpec,
    client_process,
)

TARGET_RATE = 2_000  # issue 9 item 2: single transfers/s from 16 clients
TARGET_P99 = 0.025  # seconds
TARGET_CEILING_SHARE = 0.70  # issue 20 item 2: of the do-nothing server's rate, same clients, same run


# ------------------------------------------------------------------------------------ null server


def _null_serve(ready: Any, control: Any) -> None:
    """A LedgerService that answers PostTransactions with a canned response of the real shape."""
    from concurrent import futures

    import grpc
    from google.protobuf import timestamp_pb2

    from toudai.v1 import ledger_pb2 as pb
    from toudai.v1 import ledger_pb2_grpc as pb_grpc

    class Null(pb_grpc.LedgerServiceServicer):  # type: ignore[misc]  # the generated stubs are untyped
        def PostTransactions(self, request: Any, context: Any) -> Any:  # noqa: N802 (gRPC's name)
            tx = request.transactions[0]
            party = tx.postings[0].account.rsplit("/accounts/", 1)[0]
            return pb.PostTransactionsResponse(
                transactions=[
                    pb.Transaction(
                        name=f"transactions/{uuid.uuid4()}",
                        request_id=tx.request_id,
                        value_date=tx.value_date,
                        description=tx.description,
                        postings=tx.postings,
                        legs=[pb.Leg(party=party, sequence=1, hash="0" * 64)],
                        create_time=timestamp_pb2.Timestamp(seconds=int(time.time())),
                    )
                ],
                balances=[pb.Balance(account=p.account, balance=p.amount) for p in tx.postings],
            )

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    pb_grpc.add_LedgerServiceServicer_to_server(Null(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    ready.put(port)
    control.get()
    server.stop(None).wait()


@dataclass(slots=True)
class _Server:
    port: int
    pid: int
    ask: Callable[[str], Any] | None = None
    pids: tuple[int, ...] = ()  # every server process (workers), when more than `pid`

    def cpu(self) -> float:
        """CPU seconds so far of every process of the server."""
        return sum(_proc_cpu(pid) for pid in self.pids or (self.pid,))


@contextmanager
def _null_server() -> Iterator[_Server]:
    context = mp.get_context("spawn")
    ready, control = context.Queue(), context.Queue()
    process = context.Process(target=_null_serve, args=(ready, control), name="toudai-bench-null-server")
    process.start()
    try:
        port = ready.get(timeout=120)
        assert process.pid is not None
        yield _Server(port, process.pid)
    finally:
        control.put("stop")
        process.join(60)
        if process.is_alive():  # pragma: no cover
            process.terminate()


@contextmanager
def _toudai_server(url: str, group_commit: bool, workers: int = 1) -> Iterator[_Server]:
    from bench import ledger_throughput as lt

    with lt.server_process(url, group_commit=group_commit, workers=workers) as server:
        yield _Server(server.port, server.pid, lambda command: server.ask(command), server.pids)


# ---------------------------------------------------------------------------------------- running


@dataclass(slots=True)
class Result:
    backend: str  # postgresql | sqlite | -
    method: str  # ceiling | toudai | toudai-no-gc | raw
    label: str
    seconds: float
    transfers: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    client_cpu: float = 0.0  # cores
    server_cpu: float | None = None  # cores
    machine_cpu: float = 0.0  # busy cores, everything on the machine
    database_cpu: float | None = None  # cores: the PostgreSQL backends connected to the run's database
    calls_per_tx: float | None = None

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0

    def percentile(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to the database of `url` (a local server)."""
    import psycopg

    from bench.ledger_throughput import _psycopg_conninfo

    with psycopg.connect(_psycopg_conninfo(url), autocommit=True) as conn:
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]
        own = conn.info.backend_pid
    cpu = {}
    for pid in pids:
        if pid == own:
            continue
        try:
            cpu[pid] = _proc_cpu(pid)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone, or PostgreSQL is not on this machine
    return cpu


def _machine_busy() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def _specs(chart: databases.Chart, clients: int, account: Callable[[str, str], object]) -> list[ClientSpec]:
    specs = []
    for i in range(clients):
        party = chart.parties[i % len(chart.parties)]
        k = i // len(chart.parties)
        specs.append(ClientSpec(i, party, account(party, chart.codes[2 * k]), account(party, chart.codes[2 * k + 1])))
    return specs


def _drive(
    kind: str,
    target: Any,
    specs: list[ClientSpec],
    args: argparse.Namespace,
    result: Result,
    server: _Server | None,
    spy_out: Path | None = None,
    database: str | None = None,
) -> Result:
    """Start the client processes, run warm-up and measured window, collect the figures into `result`."""
    context = mp.get_context("spawn")
    out = context.Queue()
    gos = []
    processes = []
    run_id = uuid.uuid4().hex[:8]
    spy: subprocess.Popen[bytes] | None = None
    lock = context.Lock()
    per = -(-len(specs) // args.processes)
    for p in range(args.processes):
        mine = specs[p * per : (p + 1) * per]
        if not mine:
            continue
        go = context.Queue()
        process = context.Process(
            target=client_process, args=(kind, target, run_id, mine, go, out, lock), name=f"toudai-bench-client-{p}"
        )
        process.start()
        gos.append(go)
        processes.append(process)
    try:
        for _ in processes:
            message = out.get(timeout=180)
            assert message[0] == "ready"
        start_at = time.monotonic() + 0.5
        for go in gos:
            go.put((start_at, args.warmup, args.seconds))
        measure_at, stop_at = start_at + args.warmup, start_at + args.warmup + args.seconds
        if spy_out is not None and server is not None:  # py-spy needs a moment to attach
            time.sleep(max(0.0, measure_at - 0.5 - time.monotonic()))
            spy = subprocess.Popen(
                [
                    *("py-spy", "record", "--pid", str(server.pid), "--rate", "100", "--gil", "--format", "raw"),
                    *("--duration", str(max(1, round(args.seconds))), "--output", str(spy_out)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        time.sleep(max(0.0, measure_at - time.monotonic()))
        machine0 = _machine_busy()
        backends0 = _backends_cpu(database) if database else {}
        server0 = server.cpu() if server else 0.0
        stats0 = server.ask("stats") if server and server.ask else None
        time.sleep(max(0.0, stop_at - time.monotonic()))
        machine1 = _machine_busy()
        backends1 = _backends_cpu(database) if database else {}
        server1 = server.cpu() if server else 0.0
        stats1 = server.ask("stats") if server and server.ask else None
        window = args.seconds
        result.machine_cpu = (machine1 - machine0) / window
        if database:
            result.database_cpu = sum(cpu - backends0.get(pid, 0.0) for pid, cpu in backends1.items()) / window
        if server is not None:
            result.server_cpu = (server1 - server0) / window
        if stats0 is not None and stats1 is not None:
            groups, calls = stats1[0] - stats0[0], stats1[1] - stats0[1]
            result.calls_per_tx = calls / groups if groups else (None if result.method == "toudai" else 1.0)
        for _ in processes:
            message = out.get(timeout=300)
            assert message[0] == "done"
            _, records, cpu, samples, errors = message
            result.client_cpu += cpu / window
            result.errors += errors
            result.error_samples += samples
            for started, ended in records:
                if ended <= stop_at:
                    result.transfers += 1
                if measure_at <= started < stop_at:
                    result.latencies.append(ended - started)
    finally:
        for process in processes:
            process.join(60)
            if process.is_alive():  # pragma: no cover
                process.terminate()
        if spy is not None:
            spy.wait(60)
    return result


def _line(result: Result) -> str:
    server = f"{result.server_cpu:.2f}" if result.server_cpu is not None else "-"
    database = f"{result.database_cpu:.2f}" if result.database_cpu is not None else "-"
    per_tx = f"{result.calls_per_tx:.1f}" if result.calls_per_tx is not None else "-"
    return (
        f"  {result.label:<42}{result.rate:>9,.0f}/s  p50 {result.percentile(50) * 1000:6.1f} ms  "
        f"p99 {result.percentile(99) * 1000:6.1f} ms  calls/db-tx {per_tx:>5}  CPU cores: clients "
        f"{result.client_cpu:.2f} server {server} database {database} machine {result.machine_cpu:.2f}"
        + (
            f"  server CPU {result.server_cpu / result.rate * 1e6:,.0f} µs/call"
            if result.server_cpu is not None and result.rate
            else ""
        )
        + (f"  ERRORS {result.errors}" if result.errors else "")
    )


def _run_backend(backend: str, args: argparse.Namespace, directory: str, made: list[str]) -> list[Result]:
    admin = databases.admin_url()
    results = []
    accounts = 2 * args.clients + 2

    def fresh(purpose: str) -> tuple[str, databases.Chart]:
        if backend == "postgresql":
            url = databases.create_postgres_database(admin, purpose)
            made.append(url)
        else:
            url = f"sqlite:///{directory}/{purpose}.db"
        return url, databases.migrate_and_seed(url, accounts)

    for group_commit in (True, False) if not args.no_gc_off else (True,):
        method = "toudai" if group_commit else "toudai-no-gc"
        url, chart = fresh("cc" if group_commit else "ccnogc")
        label = f"{backend} toudai gRPC, group commit {'on' if group_commit else 'off'}"
        if args.workers > 1:
            label += f", {args.workers} workers"
        spy_out = args.py_spy / f"py-spy-concurrent-{backend}-{method}.txt" if args.py_spy else None
        with _toudai_server(url, group_commit, args.workers) as server:
            result = _drive(
                "grpc",
                server.port,
                _specs(chart, args.clients, chart.name),
                args,
                Result(backend, method, label, args.seconds),
                server,
                spy_out,
                url if backend == "postgresql" else None,
            )
        print(_line(result), flush=True)
        results.append(result)
    if args.no_raw:
        return results
    url, chart = fresh("ccraw")
    ids = databases.account_ids(url)
    specs = _specs(chart, args.clients, lambda party, code: ids[(party, code)])
    if backend == "postgresql":
        from bench.ledger_throughput import _psycopg_conninfo

        target: Any = _psycopg_conninfo(url)
        label = "postgresql raw psycopg, 1 tx/transfer"
    else:
        target = url.removeprefix("sqlite:///")
        label = "sqlite raw sqlite3, 1 tx/transfer, locked"
    result = _drive(
        backend,
        target,
        specs,
        args,
        Result(backend, "raw", label, args.seconds),
        None,
        database=url if backend == "postgresql" else None,
    )
    print(_line(result), flush=True)
    results.append(result)
    return results


def _verdicts(results: list[Result]) -> list[str]:
    by = {(r.backend, r.method): r for r in results}
    ceiling = by.get(("-", "ceiling"))
    lines = []
    for backend in ("postgresql", "sqlite"):
        toudai = by.get((backend, "toudai"))
        if toudai is None:
            continue
        for method, name in (("toudai-no-gc", "toudai with group commit off"), ("raw", "raw, 1 tx per transfer")):
            base = by.get((backend, method))
            if base is not None and base.rate:
                lines.append(
                    f"{backend}: toudai (group commit) / {name}: throughput {toudai.rate / base.rate:.2f}x, "
                    f"p99 {toudai.percentile(99) / base.percentile(99):.2f}x"
                )
        if ceiling is not None and ceiling.rate:
            lines.append(
                f"{backend}: toudai / client ceiling: {toudai.rate / ceiling.rate:.1%} of what the clients can send"
            )
            if backend == "postgresql":
                share = toudai.rate / ceiling.rate
                met20 = share >= TARGET_CEILING_SHARE and toudai.percentile(99) < TARGET_P99
                lines.append(
                    f"{backend}: target (issue 20 item 2) >= {TARGET_CEILING_SHARE:.0%} of the client ceiling with "
                    f"p99 < {TARGET_P99 * 1000:.0f} ms: {share:.1%}, p99 {toudai.percentile(99) * 1000:.1f} ms "
                    f"-> {'MET' if met20 else 'NOT MET'}"
                )
        met = toudai.rate >= TARGET_RATE and toudai.percentile(99) < TARGET_P99
        lines.append(
            f"{backend}: target (issue 9 item {'2' if backend == 'postgresql' else '6'}) "
            f">= {TARGET_RATE:,} transfers/s "
            f"with p99 < {TARGET_P99 * 1000:.0f} ms: {toudai.rate:,.0f}/s, p99 {toudai.percentile(99) * 1000:.1f} ms "
            f"-> {'MET' if met else 'NOT MET'}"
        )
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.concurrent_clients", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per configuration (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each (default 2)")
    parser.add_argument("--processes", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--threads", type=int, default=4, help="client threads per process (default 4)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the client-ceiling run")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="toudai server processes sharing the port (SO_REUSEPORT), as `toudai serve --workers N` (default 1); "
        "the client ceiling stays one do-nothing process",
    )
    parser.add_argument("--no-raw", action="store_true", help="skip the raw database baseline")
    parser.add_argument("--no-gc-off", action="store_true", help="skip toudai with group commit off")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="record py-spy samples of the toudai server thread holding the GIL (py-spy on PATH)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.clients = args.processes * args.threads
    if args.py_spy is not None:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    admin = databases.admin_url()
    use_postgres = not args.no_postgres and databases.postgres_reachable(admin)
    if not args.no_postgres and not use_postgres:
        print(f"PostgreSQL at {admin} is unreachable: skipping it (set TOUDAI_BENCH_DATABASE_URL)", file=sys.stderr)
    print(
        f"toudai concurrent single transfers: {args.clients} clients ({args.processes} processes x {args.threads} "
        f"threads), one two-posting transfer per call, {args.warmup:g} s warm-up + {args.seconds:g} s measured each"
    )
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    results: list[Result] = []
    if not args.no_ceiling:
        with _null_server() as server:
            chart = databases.Chart(databases.PARTIES, tuple(f"acct-{i:04d}" for i in range(args.clients + 2)))
            result = _drive(
                "grpc",
                server.port,
                _specs(chart, args.clients, chart.name),
                args,
                Result("-", "ceiling", "client ceiling (do-nothing server)", args.seconds),
                server,
            )
        print(_line(result), flush=True)
        results.append(result)
    made: list[str] = []
    with tempfile.TemporaryDirectory(prefix="toudai-bench-cc-") as directory:
        try:
            if use_postgres:
                results += _run_backend("postgresql", args, directory, made)
            if not args.no_sqlite:
                results += _run_backend("sqlite", args, directory, made)
        finally:
            if not args.keep:
                for url in made:
                    databases.drop_postgres_database(admin, url)
    print()
    for line in _verdicts(results):
        print(line)
    for result in results:
        for sample in result.error_samples[:3]:
            print(f"  error in {result.label}: {sample}")
    print(f"(concurrent_clients: whole run {time.perf_counter() - started:.0f} s)")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {
                        "backend": r.backend,
                        "method": r.method,
                        "label": r.label,
                        "transfers_per_second": round(r.rate, 1),
                        "p50_ms": round(r.percentile(50) * 1000, 3),
                        "p99_ms": round(r.percentile(99) * 1000, 3),
                        "calls_per_db_transaction": r.calls_per_tx,
                        "client_cpu_cores": round(r.client_cpu, 3),
                        "server_cpu_cores": None if r.server_cpu is None else round(r.server_cpu, 3),
                        "machine_busy_cores": round(r.machine_cpu, 3),
                        "database_cpu_cores": None if r.database_cpu is None else round(r.database_cpu, 3),
                        "errors": r.errors,
                        "workers": args.workers if r.method.startswith("toudai") else 1,
                        "server_cpu_us_per_call": (
                            None if r.server_cpu is None or not r.rate else round(r.server_cpu / r.rate * 1e6, 1)
                        ),
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
