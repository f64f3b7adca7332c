"""`python -m bench`: run the ledger benchmarks and print every figure with its baseline and ratio.

    python -m bench                       # PostgreSQL and SQLite, batch 1, 100, 1000, 8000
    python -m bench --sizes 1000 --profile var/bench   # + cProfile of the server's PostTransactions
    python -m bench --py-spy var/bench    # + py-spy samples of the server process (py-spy on PATH)
    python -m bench --scale 0.3           # a quicker, noisier run

PostgreSQL comes from TOUDAI_BENCH_DATABASE_URL (an admin database; the run CREATEs and DROPs its own
toudai_bench_* databases), else postgresql://postgres@127.0.0.1:5432/postgres. Without PostgreSQL the
SQLite part still runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import databases, machine
from bench import ledger_throughput as lt

TARGET_RATE = 20_000  # issue 9: two-posting transfers/s through gRPC at batch >= 1,000
TARGET_RATIO = 0.35  # issue 9: of raw COPY


def _sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or any(size < 1 or size > 10_000 for size in sizes):
        raise argparse.ArgumentTypeError("batch sizes are 1 to 10,000 (the API's limit per call)")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=[1, 100, 1_000, 8_000], help="batch sizes, e.g. 1,100,1000")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply transfers and time caps (default 1)")
    parser.add_argument("--accounts", type=int, default=100, help="accounts, spread over two books (default 100)")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write cProfile stats of the server per size")
    parser.add_argument("--py-spy", type=Path, metavar="DIR", help="record py-spy samples of the server per size")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--no-valuation", action="store_true", help="skip the valuation benchmark (bench/valuation.py)")
    return parser


def _postgres(args: argparse.Namespace, plans: list[lt.Plan]) -> list[lt.Measurement]:
    admin = databases.admin_url()
    results: list[lt.Measurement] = []
    made: list[str] = []
    try:
        print("PostgreSQL: gRPC PostTransactions")
        url = databases.create_postgres_database(admin, "grpc")
        made.append(url)
        chart = databases.migrate_and_seed(url, args.accounts)
        results += lt.run_grpc("postgresql", url, chart, plans, profile_dir=args.profile, py_spy_dir=args.py_spy)
        print("PostgreSQL: raw psycopg COPY")
        url = databases.create_postgres_database(admin, "copy")
        made.append(url)
        chart = databases.migrate_and_seed(url, args.accounts)
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
        chart = databases.migrate_and_seed(f"sqlite:///{path}", args.accounts)
        results += lt.run_grpc("sqlite", f"sqlite:///{path}", chart, plans, profile_dir=args.profile)
        print("SQLite: raw sqlite3 executemany")
        path = f"{directory}/raw.db"
        chart = databases.migrate_and_seed(f"sqlite:///{path}", args.accounts)
        results += lt.run_sqlite_raw(path, chart, plans)
    return results


def _table(results: list[lt.Measurement]) -> list[str]:
    raw = {(m.backend, m.batch): m for m in results if m.method == "raw"}
    lines = [
        f"{'backend':<11}{'batch':>6}{'gRPC transfers/s':>18}{'raw transfers/s':>17}{'gRPC/raw':>10}"
        f"{'call p50 ms':>13}{'call p99 ms':>13}{'transfers':>11}",
    ]
    for m in results:
        if m.method != "grpc":
            continue
        base = raw.get((m.backend, m.batch))
        ratio = f"{m.rate / base.rate:>9.1%}" if base and base.rate else f"{'-':>9}"
        base_rate = f"{base.rate:>17,.0f}" if base else f"{'-':>17}"
        lines.append(
            f"{m.backend:<11}{m.batch:>6}{m.rate:>18,.0f}{base_rate}{ratio:>10}"
            f"{m.percentile(50) * 1000:>13.1f}{m.percentile(99) * 1000:>13.1f}{m.transfers:>11,}"
        )
    return lines


def _verdict(results: list[lt.Measurement]) -> list[str]:
    raw = {(m.backend, m.batch): m for m in results if m.method == "raw"}
    lines = []
    for m in results:
        if m.method != "grpc" or m.backend != "postgresql" or m.batch < 1_000:
            continue
        base = raw.get((m.backend, m.batch))
        ratio = m.rate / base.rate if base and base.rate else 0.0
        met = m.rate >= TARGET_RATE and ratio >= TARGET_RATIO
        lines.append(
            f"target (issue 9) at batch {m.batch}: >= {TARGET_RATE:,}/s and >= {TARGET_RATIO:.0%} of COPY: "
            f"{m.rate:,.0f}/s, {ratio:.1%} -> {'MET' if met else 'NOT MET'}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["valuation"]:  # `python -m bench valuation`: the valuation benchmark alone
        from bench import valuation

        return valuation.main(argv[1:])
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
    print(f"(whole run {time.perf_counter() - started:.0f} s)")
    if not args.no_valuation:
        from bench import valuation

        print()
        valuation.main([])
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
                        }
                        for m in results
                    ],
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
