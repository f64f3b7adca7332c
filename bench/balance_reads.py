"""Benchmark 3: current and as-of balance latency with 1,000 and 1,000,000 postings on the account.

`python -m bench.balance_reads [--large 1000000] [--scale 0.1] [--calls 1000]`

Issue 9 item 3: GetBalance latency, current and as of a past value date, for one account with 1,000
postings (database A) and with 1,000,000 postings (database B). Target: current within 1.2x and as-of
within 2x between the two sizes (ratio = large / small, p50 and p99; the small size is the baseline).

Two fresh PostgreSQL databases, migrated and seeded with two books of 50 CNY accounts each. In each, the
measured account (`bench-hz/acct-0000`) gets N postings through the ledger
(ledger.store.Ledger.post_transactions, 1,000 transactions per call, so each book has a real hash chain
and the per-day totals are written by the ledger itself): transactions of 100 pairs, each pair a posting
on the measured account and its counterpart on one of the other 49 accounts of its book, picked at
random, in alternating directions, one value date per transaction, uniform over the last `--days` (730)
days. (Pairs are packed 100 to a transaction so that seeding 1,000,000 postings takes seconds rather
than minutes; a balance read depends on the account's postings and per-day totals, not on how they
were grouped into transactions.) So database B holds 2N postings, N of them on the measured account,
and its per-day totals hold about `--days` rows per account. Both sizes use the same window, so the
measured account has one per-day row for (almost) every day in both databases: what grows with N is
the postings, the transactions and the other accounts' per-day rows, not the measured account's days.

Then one server process per database (ledger_throughput.server_process: server.app.create_server over
Ledger) and one client sending GetBalance calls one after another, alternating between the two
servers call by call (so that load from elsewhere on the machine hits both sizes alike): `--calls`
current and `--calls` as-of calls per size, after 200 warm-up calls each. As-of dates are random days in the
middle third of the window (the same sequence for both sizes). The clock covers the call (serialise,
send, wait, parse). The run checks that each server's current balance matches what was posted, and
prints PostgreSQL's plan for the as-of query on the large database, as the ledger runs it and with the
account's party added (which the primary key of daily_balances, (party_id, account_id, value_date),
needs to be usable). Then, unless `--no-what-if`, it adds an index on daily_balances (account_id,
value_date) INCLUDE (delta) to both databases and measures the as-of calls again: what the fix buys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench import databases

TARGET_CURRENT = 1.2  # issue 9 item 3: large / small
TARGET_AS_OF = 2.0
BATCH = 100_000  # postings on the measured account per PostTransactions call (1,000 transactions)
PAIRS = 100  # postings on the measured account per transaction (each with its counterpart: 200 postings)
ZONE = ZoneInfo("Asia/Shanghai")
MEASURED = "acct-0000"


@dataclass(frozen=True, slots=True)
class Seed:
    postings: int  # on the measured account
    days: int
    today: dt.date
    party: str
    codes: tuple[str, ...]


def _specs(seed: Seed, start: int, stop: int) -> tuple[list[Any], int]:
    """Postings start..stop-1 on the measured account (deterministic per index), PAIRS per transaction,
    each paired with a posting on another account of the book; returns the specs and their net (fen)."""
    from ledger.model import PostingSpec, Side, TransactionSpec

    target = f"parties/{seed.party}/accounts/{MEASURED}"
    others = [f"parties/{seed.party}/accounts/{c}" for c in seed.codes if c != MEASURED]
    specs = []
    net = 0
    for first in range(start, stop, PAIRS):
        postings = []
        day = seed.today - dt.timedelta(days=random.Random(-first - 1).randrange(seed.days))
        for n in range(first, min(first + PAIRS, stop)):
            rnd = random.Random(n)
            other = others[rnd.randrange(len(others))]
            amount = rnd.randint(1, 1_000_000)
            value = f"{amount // 100}.{amount % 100:02d}"
            debit, credit = (target, other) if n % 2 == 0 else (other, target)
            net += amount if n % 2 == 0 else -amount
            postings += [PostingSpec(debit, Side.DEBIT, "CNY", value), PostingSpec(credit, Side.CREDIT, "CNY", value)]
        specs.append(TransactionSpec(f"seed-{first}", day, "benchmark transfers", {}, tuple(postings)))
    return specs, net


def _seeder(url: str, seed: Seed, start: int, stop: int, progress: Any) -> None:
    """Post the measured account's postings start..stop-1 through the ledger (runs in its own process)."""
    from ledger import db
    from ledger.store import Ledger

    engines = db.create_engines(url, pool_size=2)
    try:
        ledger = Ledger(engines, group_commit=False)
        for first in range(start, stop, BATCH):
            last = min(first + BATCH, stop)
            specs, net = _specs(seed, first, last)
            ledger.post_transactions(specs)
            progress.put((last - first, net))
    finally:
        engines.dispose()


def seed(url: str, seed: Seed, seeders: int, label: str) -> tuple[float, int]:
    """Post seed.postings postings on the measured account with `seeders` processes side by side; returns
    the seconds taken and the net amount posted to the measured account (fen, debit positive)."""
    context = mp.get_context("spawn")
    progress = context.Queue()
    started = time.perf_counter()
    share = -(-seed.postings // seeders)
    processes = []
    for k in range(seeders):
        start, stop = k * share, min((k + 1) * share, seed.postings)
        if start >= stop:
            continue
        process = context.Process(target=_seeder, args=(url, seed, start, stop, progress), name=f"seeder-{k}")
        process.start()
        processes.append(process)
    done = net = 0
    try:
        while done < seed.postings:
            count, amount = progress.get(timeout=600)
            done += count
            net += amount
            rate = done / (time.perf_counter() - started)
            if done == seed.postings or done % (20 * BATCH) == 0:
                print(
                    f"  seeding {label}: {done:,} / {seed.postings:,} postings on the account ({rate:,.0f}/s)",
                    flush=True,
                )
    finally:
        for process in processes:
            process.join(600)
            if process.exitcode != 0:
                raise RuntimeError(f"a seeder failed (exit code {process.exitcode})")
    return time.perf_counter() - started, net


@dataclass(slots=True)
class Series:
    size: int
    kind: str  # current | as-of
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


def _facts(url: str, party: str) -> dict[str, Any]:
    """Row counts that show what the measured account and its database hold, and the balance posted."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            account = conn.execute(
                sa.text("SELECT id FROM accounts WHERE party_id = :p AND code = :c"), {"p": party, "c": MEASURED}
            ).scalar_one()
            one = {"a": account}
            return {
                "account_postings": conn.execute(
                    sa.text("SELECT count(*) FROM postings WHERE account_id = :a"), one
                ).scalar_one(),
                "all_postings": conn.execute(sa.text("SELECT count(*) FROM postings")).scalar_one(),
                "account_days": conn.execute(
                    sa.text("SELECT count(*) FROM daily_balances WHERE account_id = :a"), one
                ).scalar_one(),
                "all_days": conn.execute(sa.text("SELECT count(*) FROM daily_balances")).scalar_one(),
                "balance": conn.execute(sa.text("SELECT posted FROM balances WHERE account_id = :a"), one).scalar_one(),
                "account_id": account,
            }
    finally:
        engine.dispose()


def _plan(url: str, party: str, account: Any, as_of: dt.date, *, with_party: bool) -> list[str]:
    """EXPLAIN ANALYZE of the as-of query ledger.store.batch_get_balances runs (same shape), or of the same
    query with the account's party in the WHERE clause, which matches daily_balances' primary key
    (party_id, account_id, value_date)."""
    engine = sa.create_engine(url)
    party_clause = "party_id = :p AND " if with_party else ""
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "EXPLAIN (ANALYZE, BUFFERS) SELECT account_id, coalesce(sum(delta), 0) FROM daily_balances "
                    f"WHERE {party_clause}account_id IN (:a) AND value_date <= :d GROUP BY account_id"
                ),
                {"p": party, "a": account, "d": as_of},
            ).all()
        return [r[0] for r in rows]
    finally:
        engine.dispose()


def _what_if_index(url: str) -> None:
    """Add the index the as-of query can use as written (for the what-if figure; the schema lacks it)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(
                "CREATE INDEX bench_what_if_daily ON daily_balances (account_id, value_date) INCLUDE (delta)"
            )
            conn.exec_driver_sql("VACUUM ANALYZE daily_balances")
    finally:
        engine.dispose()


def _measure(
    stubs: dict[int, Any],
    dates: list[dt.date],
    party: str,
    args: argparse.Namespace,
    kinds: tuple[str, ...] = ("current", "as-of"),
) -> list[Series]:
    from google.type import date_pb2

    from toudai.v1 import ledger_pb2 as pb

    account = f"parties/{party}/accounts/{MEASURED}"
    current = pb.GetBalanceRequest(account=account)
    as_of = [
        pb.GetBalanceRequest(account=account, as_of_date=date_pb2.Date(year=d.year, month=d.month, day=d.day))
        for d in dates
    ]
    series = {(size, kind): Series(size, kind) for size in stubs for kind in kinds}
    for stub in stubs.values():  # warm up: connections, the server's account cache, PostgreSQL's buffers
        for i in range(200):
            stub.GetBalance(current if i % 2 else as_of[i % len(as_of)], timeout=60)
    # Interleaved call by call (small/large x current/as-of, the order rotating), so that load from
    # elsewhere on the machine falls on every series alike.
    plan = [(size, kind) for size in stubs for kind in kinds]
    for i in range(args.calls):
        shift = i % len(plan)
        for size, kind in plan[shift:] + plan[:shift]:
            request = current if kind == "current" else as_of[i % len(as_of)]
            stub = stubs[size]
            started = time.perf_counter()
            stub.GetBalance(request, timeout=60)
            series[(size, kind)].latencies.append(time.perf_counter() - started)
    return list(series.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.balance_reads", description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000, help="postings on the account, small size (1,000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="postings on the account, large size (1,000,000)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the large size (e.g. 0.1 for a quick run)")
    parser.add_argument("--days", type=int, default=730, help="value dates spread over this many days (730)")
    parser.add_argument("--calls", type=int, default=2_000, help="measured calls per size and kind (2,000)")
    parser.add_argument("--seeders", type=int, default=1, help="seeding processes side by side (1)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--no-what-if", action="store_true", help="skip the as-of rerun with an extra index")
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the ratios as JSON (make bench's summary)"
    )
    args = parser.parse_args(argv)
    large = max(args.small, int(args.large * args.scale))
    started = time.perf_counter()
    admin = databases.admin_url()
    if not databases.postgres_reachable(admin):
        print(f"PostgreSQL at {admin} is unreachable (set TOUDAI_BENCH_DATABASE_URL)", file=sys.stderr)
        return 1
    print(
        f"toudai balance reads: GetBalance over gRPC, current and as-of, {args.small:,} vs {large:,} postings on "
        f"one account, PostgreSQL"
    )
    print(f"  load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    today = dt.datetime.now(ZONE).date()
    urls: dict[int, str] = {}
    try:
        facts = {}
        for size in (args.small, large):
            url = databases.create_postgres_database(admin, "reads")
            urls[size] = url
            chart = databases.migrate_and_seed(url, 100)
            party = chart.parties[0]
            plan = Seed(size, args.days, today, party, chart.codes)
            seconds, expected = seed(url, plan, args.seeders if size > BATCH else 1, f"{size:,}")
            print(f"  seeded {size:,} account postings in {seconds:.0f} s ({size / seconds:,.0f}/s through the ledger)")
            facts[size] = _facts(url, party)
            f = facts[size]
            print(
                f"  size {size:,}: the account has {f['account_postings']:,} postings (database: "
                f"{f['all_postings']:,}) and {f['account_days']:,} per-day rows (database: {f['all_days']:,})"
            )
            if f["account_postings"] != size or f["balance"] != expected:
                raise RuntimeError(f"seeding went wrong: {f['account_postings']} postings, balance {f['balance']}")
        rnd = random.Random(20261126)
        middle = [today - dt.timedelta(days=d) for d in range(args.days // 3, 2 * args.days // 3)]
        dates = [rnd.choice(middle) for _ in range(args.calls)]
        import grpc

        from bench import ledger_throughput as lt
        from toudai.v1 import ledger_pb2_grpc as pb_grpc

        with lt.server_process(urls[args.small]) as small_server, lt.server_process(urls[large]) as large_server:
            servers = {args.small: small_server, large: large_server}
            channels = {size: grpc.insecure_channel(f"127.0.0.1:{s.port}") for size, s in servers.items()}
            try:
                stubs = {size: pb_grpc.LedgerServiceStub(c) for size, c in channels.items()}
                for size, stub in stubs.items():
                    from toudai.v1 import ledger_pb2 as pb

                    got = stub.GetBalance(pb.GetBalanceRequest(account=f"parties/{party}/accounts/{MEASURED}"))
                    print(f"  size {size:,}: current balance over gRPC {got.balance.balance.value} CNY")
                series = _measure(stubs, dates, party, args)
                plans = [
                    (what, _plan(urls[large], party, facts[large]["account_id"], dates[0], with_party=with_party))
                    for with_party, what in (
                        (False, "the as-of query without party_id (as the ledger ran it before 2026-11-26)"),
                        (True, "the ledger's as-of query (party_id =, a range scan of the key)"),
                    )
                ]
                if not args.no_what_if:
                    for url in urls.values():
                        _what_if_index(url)
                    what_if = _measure(stubs, dates, party, args, ("as-of",))
            finally:
                for channel in channels.values():
                    channel.close()
        print()
        print(f"{'postings on account':>20}{'kind':>9}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'calls':>7}")
        by = {(s.size, s.kind): s for s in series}
        for s in series:
            print(
                f"{s.size:>20,}{s.kind:>9}{s.percentile(50) * 1000:>9.2f}{s.percentile(99) * 1000:>9.2f}"
                f"{statistics.fmean(s.latencies) * 1000:>9.2f}{len(s.latencies):>7,}"
            )
        print()
        verdicts: dict[str, dict[str, float | bool]] = {}
        for kind, target in (("current", TARGET_CURRENT), ("as-of", TARGET_AS_OF)):
            small_s, large_s = by[(args.small, kind)], by[(large, kind)]
            p50 = large_s.percentile(50) / small_s.percentile(50)
            p99 = large_s.percentile(99) / small_s.percentile(99)
            met = p50 <= target and p99 <= target
            verdicts[kind] = {
                "small_p50_ms": round(small_s.percentile(50) * 1000, 3),
                "large_p50_ms": round(large_s.percentile(50) * 1000, 3),
                "small_p99_ms": round(small_s.percentile(99) * 1000, 3),
                "large_p99_ms": round(large_s.percentile(99) * 1000, 3),
                "p50_ratio": round(p50, 3),
                "p99_ratio": round(p99, 3),
                "target_ratio": target,
                "met": met,
            }
            print(
                f"{kind:>7}: large/small p50 {p50:.2f}x, p99 {p99:.2f}x (baseline: the {args.small:,}-posting "
                f"account in the same run); target <= {target:g}x -> {'MET' if met else 'NOT MET'}"
            )
        if not args.no_what_if:
            small_s, large_s = (next(s for s in what_if if s.size == size) for size in (args.small, large))
            print(
                f"  what if daily_balances had an index on (account_id, value_date) INCLUDE (delta) (created after "
                f"the run above, not in the schema): as-of p50 {small_s.percentile(50) * 1000:.2f} / "
                f"{large_s.percentile(50) * 1000:.2f} ms, p99 {small_s.percentile(99) * 1000:.2f} / "
                f"{large_s.percentile(99) * 1000:.2f} ms (small / large): large/small p50 "
                f"{large_s.percentile(50) / small_s.percentile(50):.2f}x, p99 "
                f"{large_s.percentile(99) / small_s.percentile(99):.2f}x"
            )
        print()
        for what, lines in plans:
            print(f"PostgreSQL's plan on the {large:,}-posting database (schema as migrated), {what}:")
            for line in lines:
                print(f"  {line}")
    finally:
        if not args.keep:
            for url in urls.values():
                databases.drop_postgres_database(admin, url)
    print(f"(balance_reads: whole run {time.perf_counter() - started:.0f} s)")
    if args.json is not None:
        args.json.write_text(json.dumps({"small": args.small, "large": large, **verdicts}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
