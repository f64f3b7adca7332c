"""Export and offline verification of a large journal: postings per second and peak memory.

`python -m bench.export_verify [--postings 1000000]` fills a fresh PostgreSQL database with two-posting
transfers (posted through the ledger in batches, so the chains are real), serves it with `toudai serve`,
then times `toudai export` in every format and `toudai audit verify` on the CSV and JSONL files. Peak
memory is the high-water mark (VmHWM) of the server process and the maximum RSS of each CLI process:
the issue's target is >= 100,000 postings/s and < 200 MB whatever the size, which is what streaming
in chunks should give.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
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


def fill(url: str, postings: int, chart: databases.Chart) -> float:
    """Post postings/2 transfers within each book; returns seconds taken."""
    engines = db.create_engines(url, pool_size=2)
    ledger = Ledger(engines)
    transfers = postings // 2
    day = dt.date(2026, 11, 1)
    started = time.perf_counter()
    try:
        for start in range(0, transfers, BATCH):
            specs = []
            for n in range(start, min(start + BATCH, transfers)):
                party = chart.parties[n % len(chart.parties)]
                codes = chart.codes
                source, target = codes[n % len(codes)], codes[(n * 7 + 1) % len(codes)]
                if source == target:
                    target = codes[(n + 1) % len(codes)]
                specs.append(
                    TransactionSpec(
                        f"fill-{n}",
                        day + dt.timedelta(days=n % 20),
                        "bench transfer",
                        {},
                        (
                            PostingSpec(chart.name(party, target), Side.DEBIT, "CNY", "1.00"),
                            PostingSpec(chart.name(party, source), Side.CREDIT, "CNY", "1.00"),
                        ),
                    )
                )
            ledger.post_transactions(specs)
            done = min(start + BATCH, transfers)
            print(f"\r  filled {done * 2:,} / {transfers * 2:,} postings", end="", flush=True)
    finally:
        engines.dispose()
    print()
    return time.perf_counter() - started


def _vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _run(cli: list[str]) -> tuple[float, float]:
    """Run a toudai command; returns (seconds, this child's max RSS in MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(cli, check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(after, before) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.export_verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postings", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    admin = databases.admin_url()
    url = databases.create_postgres_database(admin, "export")
    toudai = str(Path(sys.executable).parent / "toudai")
    server = None
    try:
        chart = databases.migrate_and_seed(url, 100)
        print(f"Export and verify: {args.postings:,} postings on PostgreSQL")
        seconds = fill(url, args.postings, chart)
        print(f"  fill through the ledger: {args.postings / seconds:,.0f} postings/s")
        port = _free_port()
        server = subprocess.Popen(
            [toudai, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", url, "--log-level", "WARNING"],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)
        target = ["--target", f"127.0.0.1:{port}", "--timeout", "600"]
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for fmt in ("csv", "jsonl", "beancount"):
                out = Path(tmp) / f"journal.{fmt}"
                elapsed, rss = _run([toudai, "export", "--format", fmt, "--out", str(out), *target])
                rows.append((f"export {fmt}", args.postings / elapsed, rss, _vmhwm_mb(server.pid)))
            for fmt in ("csv", "jsonl"):
                elapsed, rss = _run([toudai, "audit", "verify", str(Path(tmp) / f"journal.{fmt}")])
                rows.append((f"verify {fmt}", args.postings / elapsed, rss, 0.0))
        print(f"\n{'step':<18}{'postings/s':>14}{'CLI peak MB':>14}{'server peak MB':>16}  target")
        for step, rate, rss, server_mb in rows:
            met = rate >= TARGET_RATE and rss < TARGET_RSS_MB and server_mb < TARGET_RSS_MB
            print(f"{step:<18}{rate:>14,.0f}{rss:>14,.0f}{server_mb:>16,.0f}  {'met' if met else 'NOT MET'}")
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        databases.drop_postgres_database(admin, url)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
