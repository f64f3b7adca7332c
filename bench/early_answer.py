"""Does building the PostTransactions answer while the database commits pay for its complexity?

`python -m bench.early_answer [--sizes 1000,8000] [--pairs 30]`

Group commit hands a lone call's result to the calling thread before the rows are written
(`Ledger.post_and_answer`), so the gRPC answer is built while PostgreSQL writes and commits. The
alternative is to post, then build the answer (`post_transactions` followed by the same `answer`). This
benchmark runs both on one in-process ledger on PostgreSQL, interleaved call by call (A, B, A, B, ...)
so that the machine's drift and the other load fall on both alike, with the servicer's own answer
builder (full view), and reports the median wall time per call of each and the median of the paired
differences. Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Callable

from bench import databases
from ledger import db
from ledger.model import PostingSpec, PostResult, Side, TransactionSpec
from ledger.store import Ledger
from server import convert as cv
from toudai.v1 import ledger_pb2 as pb


def _answer(result: PostResult) -> pb.PostTransactionsResponse:
    """What LedgerServicer.PostTransactions returns (full view)."""
    response = pb.PostTransactionsResponse(balances=cv.balances_out(result.balances))
    cv.transactions_into(response.transactions, result.transactions, basic=False)
    return response


def _batch(chart: databases.Chart, size: int, tag: str) -> list[TransactionSpec]:
    day = dt.date.today()
    codes = chart.codes
    specs = []
    for i in range(size):
        party = chart.parties[i % len(chart.parties)]
        debit = chart.name(party, codes[i % len(codes)])
        credit = chart.name(party, codes[(i + 1) % len(codes)])
        specs.append(
            TransactionSpec(
                f"{tag}-{i}",
                day,
                "bench transfer",
                {},
                (PostingSpec(debit, Side.DEBIT, "CNY", "1.00"), PostingSpec(credit, Side.CREDIT, "CNY", "1.00")),
            )
        )
    return specs


def measure(ledger: Ledger, chart: databases.Chart, size: int, pairs: int) -> tuple[list[float], list[float]]:
    """(serial wall times, overlapped wall times), one per call, interleaved."""
    serial: list[float] = []
    overlapped: list[float] = []

    def serial_call(specs: list[TransactionSpec]) -> None:
        _answer(ledger.post_transactions(specs))

    def overlapped_call(specs: list[TransactionSpec]) -> None:
        ledger.post_and_answer(specs, _answer)

    runs: list[tuple[Callable[[list[TransactionSpec]], None], list[float]]] = [
        (serial_call, serial),
        (overlapped_call, overlapped),
    ]
    for warm in range(2):  # warm both paths (plans, caches)
        for call, _ in runs:
            call(_batch(chart, size, f"warm-{uuid.uuid4().hex[:8]}-{warm}"))
    for n in range(pairs):
        order = runs if n % 2 == 0 else runs[::-1]  # alternate which goes first
        for call, times in order:
            specs = _batch(chart, size, f"r-{uuid.uuid4().hex[:8]}")
            started = time.perf_counter()
            call(specs)
            times.append(time.perf_counter() - started)
    return serial, overlapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,8000", help="batch sizes (default 1000,8000)")
    parser.add_argument("--pairs", type=int, default=30, help="A/B pairs per size (default 30)")
    args = parser.parse_args()
    admin = databases.admin_url()
    url = databases.create_postgres_database(admin, "early")
    try:
        chart = databases.migrate_and_seed(url, 100)
        engines = db.create_engines(url)
        ledger = Ledger(engines)
        try:
            print(
                f"{'batch':>6} {'serial ms':>10} {'overlapped ms':>14} {'median paired diff':>19} {'ratio':>6}"
                f" {'overlapped faster':>18}"
            )
            for size in [int(s) for s in args.sizes.split(",")]:
                pairs = args.pairs if size <= 1000 else max(8, args.pairs // 3)
                serial, overlapped = measure(ledger, chart, size, pairs)
                a, b = statistics.median(serial), statistics.median(overlapped)
                diff = statistics.median(x - y for x, y in zip(serial, overlapped, strict=True))
                wins = sum(1 for x, y in zip(serial, overlapped, strict=True) if y < x)
                print(
                    f"{size:>6} {a * 1e3:>10.1f} {b * 1e3:>14.1f} {diff * 1e3:>+16.1f} ms {a / b:>6.3f}"
                    f" {f'{wins} of {len(serial)} pairs':>18}"
                )
        finally:
            ledger.committer and ledger.committer.close()
            engines.dispose()
    finally:
        databases.drop_postgres_database(admin, url)


if __name__ == "__main__":
    main()
