"""Export and offline verification of a large journal: postings per second and peak memory.

`python -m bench.export_verify [--postings 1000000]` fills a fresh PostgreSQL database with two-posting
transfers (posted through the ledger in batches, so the chains are real), serves it with `toudai serve`,
then times `toudai export` in every format and `toudai audit verify` on each exported file. Peak
memory is the high-water mark (VmHWM) of the server process and the maximum RSS of each CLI process:
the issue's target is >= 100,000 postings/s and < 200 MB whatever the size. Every figure is printed with
its ratio to the target and MET or NOT MET, and the run's total time last; `--json FILE` also writes
the steps (what `make bench`'s summary reads).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench import databases
from ledger import db
from ledger.model import PostingSpec, Side, TransactionSpec
from ledger.store import Ledger

TARGET_RATE = 100_000  # postings/s
TARGET_RSS_MB = 200
BATCH = 5_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _transfer(n: int, chart: databases.Chart) -> TransactionSpec:
    """Transfer number n: within the book of party n mod parties, between two of its accounts."""
    party = chart.parties[n % len(chart.parties)]
    codes = chart.codes
    source, target = codes[n % len(codes)], codes[(n * 7 + 1) % len(codes)]
    if source == target:
        target = codes[(n + 1) % len(codes)]
    return TransactionSpec(
        f"fill-{n}",
        dt.date(2026, 11, 1) + dt.timedelta(days=n % 20),
        "bench transfer",
        {},
        (
            PostingSpec(chart.name(party, target), Side.DEBIT, "CNY", "1.00"),
            PostingSpec(chart.name(party, source), Side.CREDIT, "CNY", "1.00"),
        ),
    )


def _fill_book(url: str, chart: databases.Chart, book: int, transfers: int) -> int:
    """Post the transfers of one book (those n with n mod parties = book), in batches; returns how many."""
    engines = db.create_engines(url, pool_size=2)
    ledger = Ledger(engines)
    numbers = range(book, transfers, len(chart.parties))
    try:
        for start in range(0, len(numbers), BATCH):
            ledger.post_transactions([_transfer(n, chart) for n in numbers[start : start + BATCH]])
    finally:
        engines.dispose()
    return len(numbers)


def fill(url: str, postings: int, chart: databases.Chart) -> float:
    """Post postings/2 transfers within each book; returns seconds taken.

    Each book is filled by its own process (books are independent chains, so the ledger posts them
    concurrently without waiting on each other's locks): the same transactions as one process posting
    them in order, with the same request ids, in a fraction of the time on a multi-core machine.
    """
    transfers = postings // 2
    started = time.perf_counter()
    books = len(chart.parties)
    # fork, not spawn: a caller that imports fill() need not guard its own module against re-import.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    print(f"  filling {transfers * 2:,} postings through the ledger ({books} books in parallel) ...", flush=True)
    with ProcessPoolExecutor(max_workers=books, mp_context=context) as pool:
        posted = sum(pool.map(_fill_book, [url] * books, [chart] * books, range(books), [transfers] * books))
    assert posted == transfers, (posted, transfers)
    return time.perf_counter() - started


def _wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Until the server accepts connections (its start-up takes seconds on a busy machine)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"toudai serve exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"toudai serve did not listen on port {port} within {seconds:.0f} s")


def _vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run(cli: list[str]) -> tuple[float, float, float]:
    """Run a toudai command; returns (seconds, that process's max RSS in MB, its CPU seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(cli, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, cli)
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _verdict(rate: float, rss: float, server_mb: float | None) -> str:
    memory = rss < TARGET_RSS_MB and (server_mb is None or server_mb < TARGET_RSS_MB)
    return "MET" if rate >= TARGET_RATE and memory else "NOT MET"


Row = tuple[str, float, float, float | None, float]  # step, postings/s, CLI MB, server MB, CPU s


def report(rows: list[Row]) -> None:
    """One line per step: the rate and its ratio to the target, peak memory, CPU time, MET or NOT MET.

    CPU seconds are the CLI's plus the toudai server's (not PostgreSQL's) for the step: on a machine
    shared with other work the wall-clock rate varies from run to run, the CPU time much less.
    """
    print(
        f"\n{'step':<18}{'postings/s':>12}{'× target':>10}{'CLI peak MB':>13}{'server peak MB':>16}{'CPU s':>8}  target"
    )
    for step, rate, rss, server_mb, cpu in rows:
        server = f"{server_mb:>16,.0f}" if server_mb is not None else f"{'—':>16}"
        verdict = _verdict(rate, rss, server_mb)
        print(f"{step:<18}{rate:>12,.0f}{rate / TARGET_RATE:>9.2f}×{rss:>13,.0f}{server}{cpu:>8.1f}  {verdict}")
    print(f"target: >= {TARGET_RATE:,} postings/s and < {TARGET_RSS_MB} MB peak RSS (CLI and server) per step")


def as_json(rows: list[Row]) -> list[dict[str, object]]:
    """The steps as `make bench`'s summary reads them (bench/summary.py)."""
    return [
        {
            "step": step,
            "postings_per_second": round(rate, 1),
            "cli_peak_mb": round(rss, 1),
            "server_peak_mb": None if server_mb is None else round(server_mb, 1),
            "cpu_seconds": round(cpu, 2),
            "target_rate": TARGET_RATE,
            "target_mb": TARGET_RSS_MB,
            "met": _verdict(rate, rss, server_mb) == "MET",
        }
        for step, rate, rss, server_mb, cpu in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the steps as JSON")
    args = parser.parse_args(argv)
    begun = time.perf_counter()
    admin = databases.admin_url()
    url = databases.create_postgres_database(admin, "export")
    toudai = str(Path(sys.executable).parent / "toudai")
    server = None
    try:
        chart = databases.migrate_and_seed(url, 100)
        print(f"Export and verify: {args.postings:,} postings on PostgreSQL")
        seconds = fill(url, args.postings, chart)
        print(f"  fill through the ledger: {args.postings / seconds:,.0f} postings/s ({seconds:.1f} s)")
        port = _free_port()
        server = subprocess.Popen(
            [toudai, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url, "--log-level", "WARNING"],
            stderr=subprocess.DEVNULL,
        )
        _wait_listening(port, server)
        target = ["--target", f"127.0.0.1:{port}", "--timeout", "600"]
        rows: list[Row] = []
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("csv", "jsonl", "beancount"):
                out = Path(tmp) / f"journal.{fmt}"
                server_cpu = _cpu_seconds(server.pid)
                elapsed, rss, cpu = _run([toudai, "export", "--format", fmt, "--out", str(out), *target])
                cpu += _cpu_seconds(server.pid) - server_cpu
                rows.append((f"export {fmt}", args.postings / elapsed, rss, _vmhwm_mb(server.pid), cpu))
                print(f"  export {fmt}: {elapsed:.1f} s, {out.stat().st_size / 1e6:,.0f} MB", flush=True)
            for fmt in ("csv", "jsonl", "beancount"):
                elapsed, rss, cpu = _run([toudai, "audit", "verify", str(Path(tmp) / f"journal.{fmt}")])
                rows.append((f"verify {fmt}", args.postings / elapsed, rss, None, cpu))
                print(f"  verify {fmt}: {elapsed:.1f} s", flush=True)
        report(rows)
        met = sum(_verdict(rate, rss, server_mb) == "MET" for _, rate, rss, server_mb, _ in rows)
        print(f"{met} of {len(rows)} steps meet the target; total elapsed {time.perf_counter() - begun:.0f} s")
        if args.json is not None:
            args.json.write_text(json.dumps({"postings": args.postings, "steps": as_json(rows)}, indent=2))
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        databases.drop_postgres_database(admin, url)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
