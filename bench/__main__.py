"""`python -m bench` (= `make bench`): every benchmark, each figure next to its baseline, and issue 20's verdict.

    python -m bench                       # all sections below, in order, then the summary of issue 20
    python -m bench ledger [options]      # items 1 and 6: batched PostTransactions vs raw writes
    python -m bench concurrent [options]  # items 2 and 6: 16 concurrent single-transfer clients
    python -m bench balances [options]    # item 3: balance reads at 1,000 and 1,000,000 postings
    python -m bench export [options]      # item 4: export and verify 1,000,000 postings
    python -m bench valuation [options]   # item 5: BSM, CRR, backsolve, RevalueOptions
    python -m bench month-end [options]   # issue 20 item 5: month-end close of 100,000 deals (bench/month_end.py)
    python -m bench --sizes 1000 --profile var/bench   # options alone: the ledger section, as before

Ledger section options: --sizes 1,100,1000,8000, --scale (multiplies transfers and time caps; the full
run uses 0.5), --no-postgres, --no-sqlite, --profile DIR (cProfile of the server's PostTransactions per
size), --py-spy DIR (py-spy samples of the server; py-spy on PATH, not a project dependency), --json FILE,
--keep, --guarded (must-not-go-negative accounts, funded), --back-date DAYS (transfers dated DAYS ago).
Each gRPC figure comes with the server process's CPU time per transfer. Each other section's options:
`python -m bench SECTION --help`.

PostgreSQL comes from TOUDAI_BENCH_DATABASE_URL (an admin database; runs CREATE and DROP their own
toudai_bench_* databases), else postgresql://postgres@127.0.0.1:5432/postgres. Without PostgreSQL the
SQLite parts still run. Results and their history: docs/performance.md.

The full run prints the machine once, gives every section `--json FILE` in one temporary directory, and
ends with issue 20's items 1-5 read from those files (bench/summary.py): each figure with its same-run
baseline, the ratio, the target and MET / NOT MET, or "not run" for a section that failed or is missing.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import databases, machine, summary
from bench import ledger_throughput as lt

TARGET_RATIO = summary.COPY_RATIO  # issue 20 item 1: of raw COPY at batch >= 1,000 (replaces 20,000/s and 35 %)


def _sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 1 or size > 10_000 for size in sizes):
        raise argparse.ArgumentTypeError("batch sizes are 1 to 10,000 (the API's limit per call)")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench ledger", description="Items 1 and 6: batched PostTransactions vs raw writes."
    )
    parser.add_argument("--sizes", type=_sizes, default=[1, 100, 1_000, 8_000], help="batch sizes, e.g. 1,100,1000")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply transfers and time caps (default 1)")
    parser.add_argument("--accounts", type=int, default=100, help="accounts, spread over two books (default 100)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument(
        "--basic-from",
        type=int,
        default=1_000,
        help="from this batch size on, also measure with TRANSACTION_VIEW_BASIC (default 1000; -1: never)",
    )
    parser.add_argument(
        "--guarded",
        action="store_true",
        help="open the accounts must-not-go-negative and fund them (an opening balance long ago, 0.01 today)",
    )
    parser.add_argument(
        "--back-date",
        type=int,
        default=0,
        metavar="DAYS",
        help="date the transfers DAYS before today (with --guarded: the as-of check reads later per-day totals)",
    )
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write cProfile stats of the server per size")
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="record py-spy samples of the server per size")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--no-machine", action="store_true", help=argparse.SUPPRESS)  # the full run prints it once
    return parser


def _postgres(args: argparse.Namespace, plans: list[lt.Plan]) -> list[lt.Measurement]:
    admin = databases.admin_url()
    results: list[lt.Measurement] = []
    made: list[str] = []
    try:
        print("PostgreSQL: gRPC PostTransactions")
        url = databases.create_postgres_database(admin, "grpc")
        made.append(url)
        chart = databases.migrate_and_seed(url, args.accounts, guarded=args.guarded)
        results += lt.run_grpc(
            "postgresql",
            url,
            chart,
            plans,
            profile_dir=args.profile,
            py_spy_dir=args.py_spy,
            basic_from=args.basic_from if args.basic_from >= 0 else None,
            back_date=args.back_date,
        )
        print("PostgreSQL: raw psycopg COPY")
        url = databases.create_postgres_database(admin, "copy")
        made.append(url)
        chart = databases.migrate_and_seed(url, args.accounts, guarded=args.guarded)
        results += lt.run_postgres_copy(url, chart, plans)
    finally:
        if not args.keep:
            for url in made:
                databases.drop_postgres_database(admin, url)
    return results


def _sqlite(args: argparse.Namespace, plans: list[lt.Plan]) -> list[lt.Measurement]:
    results: list[lt.Measurement] = []
    with tempfile.TemporaryDirectory(prefix="toudai-bench-") as directory:
        print("SQLite: gRPC PostTransactions")
        path = f"{directory}/grpc.db"
        chart = databases.migrate_and_seed(f"sqlite:///{path}", args.accounts, guarded=args.guarded)
        results += lt.run_grpc(
            "sqlite",
            f"sqlite:///{path}",
            chart,
            plans,
            profile_dir=args.profile,
            basic_from=args.basic_from if args.basic_from >= 0 else None,
            back_date=args.back_date,
        )
        print("SQLite: raw sqlite3 executemany")
        path = f"{directory}/raw.db"
        chart = databases.migrate_and_seed(f"sqlite:///{path}", args.accounts, guarded=args.guarded)
        results += lt.run_sqlite_raw(path, chart, plans)
    return results


def _table(results: list[lt.Measurement]) -> list[str]:
    raw = {(m.backend, m.batch): m for m in results if m.method == "raw"}
    lines = [
        f"{'backend':<11}{'batch':>6}{'view':>6}{'gRPC transfers/s':>18}{'raw transfers/s':>17}{'gRPC/raw':>10}"
        f"{'call p50 ms':>13}{'call p99 ms':>13}{'transfers':>11}{'server CPU µs':>15}",
    ]
    for m in results:
        if not m.method.startswith("grpc"):
            continue
        base = raw.get((m.backend, m.batch))
        ratio = f"{m.rate / base.rate:>9.1%}" if base and base.rate else f"{'-':>9}"
        base_rate = f"{base.rate:>17,.0f}" if base else f"{'-':>17}"
        lines.append(
            f"{m.backend:<11}{m.batch:>6}{_view(m):>6}{m.rate:>18,.0f}{base_rate}{ratio:>10}"
            f"{m.percentile(50) * 1000:>13.1f}{m.percentile(99) * 1000:>13.1f}{m.transfers:>11,}"
            + (f"{cpu:>15.1f}" if (cpu := m.server_cpu_us_per_transfer) is not None else f"{'-':>15}")
        )
    return lines


def _view(m: lt.Measurement) -> str:
    return "basic" if m.method == "grpc-basic" else "full"


def _verdict(results: list[lt.Measurement]) -> list[str]:
    raw = {(m.backend, m.batch): m for m in results if m.method == "raw"}
    lines = []
    for m in results:
        if not m.method.startswith("grpc") or m.backend != "postgresql" or m.batch < 1_000:
            continue
        base = raw.get((m.backend, m.batch))
        ratio = m.rate / base.rate if base and base.rate else 0.0
        met = ratio >= TARGET_RATIO
        lines.append(
            f"target (issue 20 item 1; it names batch 1,000, full view) at batch {m.batch}, view {_view(m)}: "
            f">= {TARGET_RATIO:.0%} of raw COPY: {m.rate:,.0f}/s, {ratio:.1%} of {base.rate if base else 0:,.0f}/s "
            f"-> {'MET' if met else 'NOT MET'}"
        )
    return lines


def ledger_main(argv: list[str]) -> int:
    """Items 1 and 6: batched two-posting transfers through gRPC vs raw writes, PostgreSQL and SQLite."""
    args = _parser().parse_args(argv)
    for directory in (args.profile, args.py_spy):
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
    admin = databases.admin_url()
    use_postgres = not args.no_postgres and databases.postgres_reachable(admin)
    if not args.no_postgres and not use_postgres:
        print(f"PostgreSQL at {admin} is unreachable: skipping it (set TOUDAI_BENCH_DATABASE_URL)", file=sys.stderr)
    info = machine.describe(admin if use_postgres else None)
    print("toudai ledger benchmark: two-posting transfers per second, PostTransactions over gRPC vs raw writes")
    if not args.no_machine:
        print("\n".join(info.lines()))
        print()
    plans = lt.default_plans(args.sizes, args.scale)
    started = time.perf_counter()
    results: list[lt.Measurement] = []
    if use_postgres:
        results += _postgres(args, plans)
    if not args.no_sqlite:
        results += _sqlite(args, plans)
    print()
    print("\n".join(_table(results)))
    print()
    for line in _verdict(results):
        print(line)
    print(f"(ledger: whole run {time.perf_counter() - started:.0f} s)")
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info.lines(),
                    "results": [
                        {
                            "backend": m.backend,
                            "method": m.method,
                            "batch": m.batch,
                            "transfers": m.transfers,
                            "seconds": round(m.seconds, 4),
                            "transfers_per_second": round(m.rate, 1),
                            "p50_ms": round(m.percentile(50) * 1000, 3),
                            "p99_ms": round(m.percentile(99) * 1000, 3),
                            "server_cpu_us_per_transfer": (
                                round(cpu, 2) if (cpu := m.server_cpu_us_per_transfer) is not None else None
                            ),
                        }
                        for m in results
                    ],
                },
                indent=2,
            )
        )
    return 0


def _section(module: str, *, optional: bool = False) -> Callable[[list[str]], int]:
    """A section run by `module.main(argv)`; an `optional` module that is not there yet is reported as not
    run (its summary item says so) instead of failing the run."""

    def run(argv: list[str]) -> int:
        try:
            imported = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if not optional or error.name != module:
                raise
            print(f"not run: {module} is not there yet")
            return 0
        return int(imported.main(argv))

    return run


#: name → (what it measures, how to run it, its arguments in the full run: sized to keep `make bench` < 10 min)
SECTIONS: dict[str, tuple[str, Callable[[list[str]], int], list[str]]] = {
    "ledger": ("items 1 and 6: batched PostTransactions vs raw writes", ledger_main, ["--scale", "0.5"]),
    "concurrent": (
        "items 2 and 6: 16 concurrent clients, one transfer per call",
        _section("bench.concurrent_clients"),
        ["--seconds", "5", "--warmup", "1.5"],
    ),
    "balances": (
        "item 3: balance reads at 1,000 and 1,000,000 postings",
        _section("bench.balance_reads"),
        ["--calls", "1000"],
    ),
    "export": ("item 4: export and verify 1,000,000 postings", _section("bench.export_verify"), []),
    "valuation": ("item 5: valuation engines and RevalueOptions", _section("bench.valuation"), []),
    # Generating a portfolio costs far more than closing it (booking and each deal's history run through the
    # desk: about 30-50 ms a deal on this machine), so the full run closes 1,000 deals over the 50 branches and
    # scales the total to 100,000 (the verdict says "extrapolated"); `python -m bench month-end` alone defaults
    # to 100,000.
    "month-end": (
        "issue 20 item 5: month-end close through the API (1,000 deals, scaled to 100,000)",
        _section("bench.month_end", optional=True),
        ["--deals", "1000"],
    ),
}
#: sections whose options in the full run say where to write their JSON (`--json FILE`)
_JSON = {name: summary.FILES[name] for name in SECTIONS}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in SECTIONS:
        return SECTIONS[argv[0]][1](argv[1:])
    if argv:  # options without a section: the ledger section, as `python -m bench` used to be
        return ledger_main(argv)
    return full_run()


def full_run() -> int:
    """Every section in order, each writing its JSON into one temporary directory, then the summary."""
    started = time.perf_counter()
    admin = databases.admin_url()
    info = machine.describe(admin if databases.postgres_reachable(admin) else None)
    print("toudai benchmarks (make bench): every section, then issue 20's items 1-5")
    print("\n".join(info.lines()))
    timings = []
    failed = []
    with tempfile.TemporaryDirectory(prefix="toudai-bench-json-") as directory:
        for name, (what, run, arguments) in SECTIONS.items():
            print(f"\n{'=' * 100}\n{name}: {what}\n{'=' * 100}", flush=True)
            section_started = time.perf_counter()
            extra = ["--no-machine"] if name == "ledger" else []
            try:
                code = run([*arguments, *extra, "--json", str(Path(directory) / _JSON[name])])
            except Exception as error:  # one broken section must not hide the others' figures
                print(f"{name}: FAILED: {error.__class__.__name__}: {error}", file=sys.stderr)
                code = 1
            timings.append((name, time.perf_counter() - section_started))
            if code:
                failed.append(name)
        results = summary.load(Path(directory))
    print(f"\n{'=' * 100}")
    for name, seconds in timings:
        print(f"{name:<12}{seconds:>8.0f} s")
    print(f"{'total':<12}{time.perf_counter() - started:>8.0f} s")
    print(f"\n{'=' * 100}\nissue 20: items 1-5, each against a baseline measured in this run\n{'=' * 100}")
    print(f"machine: {info.cpu_count} × {info.cpu_model}, {info.memory_gib:.1f} GiB, {info.postgresql}")
    print(f"load average: {info.load} at the start, {_load()} at the end (1/5/15 min)")
    for line in summary.render(summary.verdicts(results)):
        print(line)
    if failed:
        print(f"sections that failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
