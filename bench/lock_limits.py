"""What bounding a stalled lock holder costs the write path (issue 20, availability).

`python -m bench.lock_limits [--calls 2000] [--batch 1000] [--rounds 5]`

Since issue 20, a posting on PostgreSQL sends one more statement after its pipelined read: the
`set_config` that tightens `statement_timeout` and `idle_in_transaction_session_timeout` while it holds
the books' locks (ledger.db.SessionLimits, ledger/pg_posting.py). That is one more round trip per
database transaction: per call for single-transfer calls written alone, per group under group commit,
per batch for batched calls. This measures it: two Ledgers (no gRPC, no group commit, so every call is
one database transaction and nothing hides the round trip) on one fresh database, one with the limits
(the default) and one with `lock_hold_timeout=0` (the statement not sent), posting the same kind of
transfers in alternating rounds so that load from elsewhere on the machine hits both alike. Reported:
wall time and this process's CPU per transfer for each, and the ratio with / without, per shape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from bench.databases import (
    admin_url,
    create_postgres_database,
    drop_postgres_database,
    migrate_and_seed,
    postgres_reachable,
)
from ledger import db
from ledger.model import PostingSpec, Side, TransactionSpec
from ledger.store import Ledger


def _transfer(request_id: str, party: str, debit: str, credit: str) -> TransactionSpec:
    return TransactionSpec(
        request_id,
        dt.date(2026, 12, 1),
        "bench",
        {},
        (
            PostingSpec(f"parties/{party}/accounts/{debit}", Side.DEBIT, "CNY", "0.01"),
            PostingSpec(f"parties/{party}/accounts/{credit}", Side.CREDIT, "CNY", "0.01"),
        ),
    )


def _round(ledger: Ledger, tag: str, party: str, codes: tuple[str, ...], calls: int, batch: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) for `calls` calls of `batch` transfers each."""
    wall, cpu = time.perf_counter(), time.process_time()
    for call in range(calls):
        specs = [
            _transfer(f"{tag}-{call}-{i}", party, codes[i % len(codes)], codes[(i + 1) % len(codes)])
            for i in range(batch)
        ]
        ledger.post_transactions(specs)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="single-transfer calls per round and variant")
    parser.add_argument("--batch", type=int, default=1000, help="transfers per batched call")
    parser.add_argument("--batches", type=int, default=10, help="batched calls per round and variant")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    admin = admin_url()
    if not postgres_reachable(admin):
        raise SystemExit(f"PostgreSQL is not reachable at {admin}")
    url = create_postgres_database(admin, "locklimits")
    try:
        chart = migrate_and_seed(url, 20)
        variants = {
            "with the hold limit (default)": db.SessionLimits(),
            "without (lock_hold_timeout=0)": db.SessionLimits(lock_hold_timeout=0),
        }
        ledgers = {
            name: Ledger(db.create_engines(url, limits=limits), group_commit=False) for name, limits in variants.items()
        }
        party = chart.parties[0]
        print(f"load average before: {os.getloadavg()}")
        for shape, calls, batch in (
            ("1 transfer per call", args.calls, 1),
            (f"{args.batch} per call", args.batches, args.batch),
        ):
            totals = {name: [0.0, 0.0] for name in variants}
            for r in range(args.rounds):
                for index, (name, ledger) in enumerate(ledgers.items()):
                    tag = f"s{batch}-{r}-{index}"
                    wall, cpu = _round(ledger, tag, party, chart.codes, calls, batch)
                    totals[name][0] += wall
                    totals[name][1] += cpu
            transfers = args.rounds * calls * batch
            print(f"\n{shape}: {transfers} transfers per variant, {args.rounds} alternating rounds")
            for name, (wall, cpu) in totals.items():
                print(
                    f"  {name:32} {wall / transfers * 1e6:9.1f} µs wall/transfer"
                    f"  {cpu / transfers * 1e6:8.1f} µs CPU/transfer"
                )
            (w1, c1), (w0, c0) = totals.values()
            print(f"  ratio with/without: wall {w1 / w0:.3f}, CPU {c1 / c0:.3f}")
        statement = db.SessionLimits().hold_sql(1)
        assert statement is not None
        engine = next(iter(ledgers.values())).engines.writer
        with engine.begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(args.calls):
                raw.execute(statement)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"\nthe statement alone, {args.calls} times in one transaction: {wall / args.calls * 1e6:.1f} µs wall, "
            f"{cpu / args.calls * 1e6:.1f} µs CPU each"
        )
        print(f"\nload average after: {os.getloadavg()}")
        for ledger in ledgers.values():
            ledger.engines.dispose()
    finally:
        drop_postgres_database(admin, url)


if __name__ == "__main__":
    main()
