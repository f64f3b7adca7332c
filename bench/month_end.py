"""`python -m bench.month_end`: a bank's month-end close over a generated portfolio, through the API.

    python -m bench.month_end                          # 100,000 deals over 50 branches (issue 20 item 5)
    python -m bench.month_end --deals 2000 --json f    # a quicker run, figures also as JSON
    python -m bench.month_end --per-deal-accrual       # accrue with one AccrueInterest call per deal
    python -m bench.month_end --generate-only          # build the portfolio into a kept database, print its URL
    python -m bench.month_end --database URL           # the close alone, on a database --generate-only built

Target (issue 20 item 5): accrual, classification and the impairment run over 100,000 deals as of a month
end, end to end through the API, in at most 600 s on the project's 2-core machine.

Method:
1. A fresh PostgreSQL database (bench.databases), migrated; 50 branches, one investment arm, one risk
   pool and one subsidy fund, and the agreements booking needs (each branch signs a risk-sharing
   agreement with the pool, a linkage agreement with the arm and a subsidy agreement with the fund).
2. The portfolio, generated in process (not timed against the target; its time is printed): deals booked
   with `DealDesk.book_many` and their history run with `DealDesk.steps_many` (the same steps as the RPCs,
   500 a unit of work). Variety, from a seeded generator: principal 0.5 to 50 million yuan, rates 3.0 %
   to 6.5 %, start dates over the year before the month end, 12/24/36-month terms, bullet, equal
   principal and equal instalment schedules, quarterly payments (a tenth monthly), a quarter of the loans
   subsidised (rate points or an interest share), 2 % booked and not yet drawn, and about 12 % past due:
   their last one to six instalments missed, so some are special mention and some past 90 days
   (non-accrual, substandard, ECL stage 3). Every other instalment is paid on its payment date, exactly
   what was due. Then every loan is accrued through the previous month end (`DealDesk.accrue_branch`), as
   the bank's last close did (a loan repaid in November is accrued past it already and left alone).
3. A real server in its own process (`server.app.create_server` over PostgreSQL, as `toudai serve`
   runs it), and then, timed, as an administrator would run the close through gRPC:
   - accrual through the month end: `AccrueBranchInterest` per branch (or, with --per-deal-accrual,
     `AccrueInterest` per open deal, the only way before the batch RPC existed);
   - `ReclassifyDeals` per branch as of the month end;
   - `RunImpairment` per branch as of the month end.
Each stage prints its wall time, its time per deal and the server process's CPU time; the total is
compared with 600 s (MET / NOT MET; with fewer than 100,000 deals, the total scaled linearly to 100,000,
marked "extrapolated", and `extrapolated: true` in the JSON). The machine's load average is printed
with the figures, since other work on a shared 2-core machine changes wall times.

Generating 100,000 deals through the desk takes most of an hour (booking about 5 ms a deal, history
about 8 ms a step), far longer than the close it prepares. `--generate-only` builds the portfolio into a
database that is kept (nothing is timed against the target), so it can run in the background at low
priority; `--database URL` later runs only the timed close on it, with the same `--deals` and
`--branches` (the portfolio in memory is regenerated from the same seed to know the open deals). A close
changes the database (it accrues through the month end), so a generated database serves one close; it
is dropped afterwards unless `--keep`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TARGET_SECONDS = 600.0
TARGET_DEALS = 100_000
MONTH_END = dt.date(2026, 11, 30)
PREVIOUS_MONTH_END = dt.date(2026, 10, 31)
ARM, POOL, FUND = "me-arm", "me-pool", "me-fund"
BATCH = 500  # deals per book_many / steps per steps_many (deals.model.BOOK_MANY_LIMIT)


def branch_id(index: int) -> str:
    return f"me-br-{index:02d}"


# ------------------------------------------------------------------------------------------ portfolio


@dataclass(frozen=True, slots=True)
class Generated:
    """One generated deal: its booking and the history to run before the close."""

    deal_id: str
    booking: Any  # deals.model.Booking
    drawn: bool
    missed: int  # trailing instalments not paid (0: current)


def _uscc(rng: random.Random) -> str:
    from deals.uscc import ALPHABET, check_character

    first = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(rng.choice(ALPHABET) for _ in range(9))
    return first + check_character(first)


def generate(deals: int, branches: int, seed: int = 20) -> list[Generated]:
    """The portfolio (module docstring), the same for the same arguments."""
    from deals.model import Booking
    from deals.schedule import Frequency, LoanTerms, ScheduleKind, Subsidy, SubsidyKind
    from deals.terms import (
        Borrower,
        DealTerms,
        OptionTerms,
        QuantityBasis,
        RiskSharing,
        Split,
        Stage,
        StrikeBasis,
        Trigger,
    )

    rng = random.Random(seed)
    first_start = MONTH_END - dt.timedelta(days=364)
    found = []
    for i in range(deals):
        start = first_start + dt.timedelta(days=rng.randrange(0, 350))
        months = rng.choice((12, 24, 36))
        maturity = dt.date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1)
        maturity = maturity.replace(day=min(start.day, 28))
        schedule = rng.choices(
            (ScheduleKind.BULLET, ScheduleKind.EQUAL_PRINCIPAL, ScheduleKind.EQUAL_INSTALMENT), (5, 3, 2)
        )[0]
        frequency = Frequency.MONTHLY if rng.random() < 0.1 else Frequency.QUARTERLY
        kind = rng.random()
        subsidy = (
            Subsidy(SubsidyKind.RATE_POINTS, rate_points=Decimal("0.01"))
            if kind < 0.15
            else Subsidy(SubsidyKind.INTEREST_SHARE, share=Decimal("0.30"), cap=5_000_000)
            if kind < 0.25
            else Subsidy()
        )
        stage = rng.choice((Stage.START_UP, Stage.GROWTH, Stage.MATURE))
        roll = rng.random()
        missed = 0 if roll >= 0.12 else 1 + int(roll / 0.12 * 6)
        terms = DealTerms(
            branch=branch_id(i % branches),
            borrower=Borrower(f"Borrower {i}", _uscc(rng), stage),
            loan=LoanTerms(
                principal=rng.randrange(500_000, 50_000_000, 1_000) * 100,
                annual_rate=Decimal(rng.randrange(300, 651, 5)) / 10_000,
                start=start,
                maturity=maturity,
                schedule=schedule,
                frequency=frequency,
            ),
            option=OptionTerms(
                holder=ARM,
                company=f"company-{i % 997}",
                share_class="common",
                quantity_basis=QuantityBasis.SHARES,
                shares=10_000 + 1_000 * (i % 90),
                strike_basis=StrikeBasis.FIXED_PRICE,
                strike_price=Decimal("1.00"),
                window_start=start,
                window_end=maturity,
                triggers=(Trigger.QUALIFYING_ROUND,),
            ),
            risk=RiskSharing(pool=POOL, base_rate=Decimal("0.50")),
            split=Split(3000, 5000, 2000),
            subsidy=subsidy,
            subsidy_fund=FUND if subsidy.kind is not SubsidyKind.NONE else "",
        )
        deal_id = f"me-{i:06d}"
        found.append(Generated(deal_id, Booking(f"book-{deal_id}", deal_id, terms), rng.random() >= 0.02, missed))
    return found


def history(deal: Generated) -> list[Any]:
    """The steps before the close: the disbursement and every instalment due by the month end paid on its
    payment date (but the last `missed`)."""
    from deals.credit.arrears import Payment, dues_of
    from deals.desk import StepCall

    if not deal.drawn:
        return []
    name = f"deals/{deal.deal_id}"
    terms = deal.booking.terms
    start = terms.loan.start
    calls = [StepCall("disbursed", f"disburse-{deal.deal_id}", name, None)]
    payments: list[Payment] = []
    due_days = [d.on for d in dues_of(terms, start, payments) if d.on <= MONTH_END]
    paying = due_days[: max(len(due_days) - deal.missed, 0)]
    for k, day in enumerate(paying):
        due = dues_of(terms, start, payments)[k]
        payments.append(Payment(day, due.amount, due.principal))
        calls.append(StepCall("repaid", f"repay-{deal.deal_id}-{k}", name, day, due.amount))
    return calls


class _Progress:
    """A line on stderr every 10 % (and at least every 60 s) of a long generation step, with the time left."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total, self.done = what, total, 0
        self.started = self.shown = time.perf_counter()
        self.next_share = 0.1

    def advance(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if self.done < self.total and self.done / self.total < self.next_share and now - self.shown < 60:
            return
        self.shown = now
        self.next_share = self.done / self.total + 0.1
        left = (now - self.started) / self.done * (self.total - self.done)
        print(
            f"    {self.what}: {self.done:,} of {self.total:,} ({self.done / self.total:.0%}),"
            f" {now - self.started:.0f} s, about {left:.0f} s left",
            file=sys.stderr,
            flush=True,
        )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def load(url: str, portfolio: Sequence[Generated], branches: int) -> dict[str, float]:
    """Parties, agreements, bookings and history, in process; the seconds each part took."""
    from deals.agreements.desk import AgreementDesk
    from deals.agreements.model import AgreementDraft, AgreementKind, LinkageTerms, RiskSharingTerms, SubsidyTerms
    from deals.desk import DealDesk
    from deals.schedule import SubsidyKind
    from ledger import db
    from ledger.model import PartyKind
    from ledger.store import Ledger
    from server import database

    times: dict[str, float] = {}
    started = time.perf_counter()
    # Generation is not what is measured, and a unit of work of 500 bookings or steps, starved of CPU when
    # it runs in the background at low priority, can sit longer between statements than the server's
    # lock-hold bound allows (ledger.db.SessionLimits): PostgreSQL then ends it. No such bound here.
    engines = db.create_engines(
        url, limits=db.SessionLimits(statement_timeout=0, idle_in_transaction=0, lock_hold_timeout=0)
    )
    try:
        database.upgrade(engines.writer)
        ledger = Ledger(engines, group_commit=False)
        parties = [(branch_id(b), PartyKind.BANK_BRANCH) for b in range(branches)]
        parties += [(ARM, PartyKind.INVESTMENT_ARM), (POOL, PartyKind.RISK_POOL), (FUND, PartyKind.SUBSIDY_FUND)]
        for party, kind in parties:
            ledger.create_party(request_id=f"party-{party}", party_id=party, display_name=party, kind=kind)
        agreements = AgreementDesk(ledger)
        signed = dt.date(2020, 1, 1)
        for b in range(branches):
            branch = branch_id(b)
            for prefix, agreement_kind, owner, terms in (
                ("rsa", AgreementKind.RISK_SHARING, POOL, RiskSharingTerms(base_rate=Decimal("0.50"))),
                ("link", AgreementKind.LINKAGE, ARM, LinkageTerms(3000, 5000, 2000)),
                (
                    "sub",
                    AgreementKind.SUBSIDY,
                    FUND,
                    SubsidyTerms(
                        (SubsidyKind.RATE_POINTS, SubsidyKind.INTEREST_SHARE), Decimal("0.02"), Decimal("0.5")
                    ),
                ),
            ):
                draft = AgreementDraft(agreement_kind, owner, branch, signed, None, terms)
                agreements.create(request_id=f"{prefix}-{branch}", agreement_id=f"{prefix}-{branch}", draft=draft)
        times["parties and agreements"] = time.perf_counter() - started
        desk = DealDesk(ledger)
        started = time.perf_counter()
        progress = _Progress("booking", len(portfolio))
        for chunk in _chunks(portfolio, BATCH):
            desk.book_many([deal.booking for deal in chunk])
            progress.advance(len(chunk))
        times["booking"] = time.perf_counter() - started
        started = time.perf_counter()
        calls = [call for deal in portfolio for call in history(deal)]
        times["history planned"] = time.perf_counter() - started
        started = time.perf_counter()
        progress = _Progress("history steps", len(calls))
        for chunk in _chunks(calls, BATCH):
            desk.steps_many(chunk)
            progress.advance(len(chunk))
        times[f"history ({len(calls):,} steps)"] = time.perf_counter() - started
        started = time.perf_counter()
        for b in range(branches):  # last month's close (loans repaid since are accrued past it: left alone)
            desk.accrue_branch(
                request_id=f"close-{PREVIOUS_MONTH_END}", branch=f"parties/{branch_id(b)}", through=PREVIOUS_MONTH_END
            )
        times["previous month end accrued"] = time.perf_counter() - started
    finally:
        engines.dispose()
    return times


def _check_generated(url: str, portfolio: Sequence[Generated]) -> None:
    """Refuse a database that --generate-only did not build for this portfolio, or that was closed already."""
    import sqlalchemy as sa

    from ledger import db

    engines = db.create_engines(url)
    try:
        with engines.writer.connect() as conn:
            booked = conn.execute(sa.text("SELECT count(*) FROM deals")).scalar_one()
            done = conn.execute(  # the close accrues the open loans through the month end (history does not)
                sa.text("SELECT count(*) FROM deal_events WHERE kind = 'accrued' AND value_date = :day"),
                {"day": MONTH_END},
            ).scalar_one()
    finally:
        engines.dispose()
    if booked != len(portfolio):
        raise SystemExit(f"{url} holds {booked:,} deals, not the {len(portfolio):,} of --deals: use the same --deals")
    if done:
        raise SystemExit(f"{url} was closed already ({done:,} loans accrued through {MONTH_END}): generate it again")


# ------------------------------------------------------------------------------------------ the close


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _date(day: dt.date) -> Any:
    from google.type import date_pb2

    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def close(
    port: int,
    branches: int,
    open_deals: Sequence[str],
    per_deal: bool,
    pid: int,
    baseline_deals: Sequence[str] = (),
    baseline_figures: dict[str, float] | None = None,
) -> list[tuple[str, float, float]]:
    """The three stages through gRPC: (name, wall seconds, server CPU seconds) each. With `baseline_deals`
    (the first branch's loans), first accrue those one AccrueInterest call each, the way there was before
    AccrueBranchInterest, into `baseline_figures` (deals, seconds, cpu): the branch call then finds them
    accrued through the date already (and records a zero accrual for each)."""
    baseline_figures = baseline_figures if baseline_figures is not None else {}
    import grpc

    from toudai.v1 import credit_pb2, credit_pb2_grpc, deals_pb2, deals_pb2_grpc

    run = uuid.uuid4().hex[:8]
    stages: list[tuple[str, float, float]] = []
    options = [("grpc.max_receive_message_length", 1 << 28)]
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
        deals_stub = deals_pb2_grpc.DealServiceStub(channel)
        credit = credit_pb2_grpc.CreditServiceStub(channel)

        def timed(name: str, body: Callable[[], None]) -> None:
            cpu, started = _cpu_seconds(pid), time.perf_counter()
            body()
            stages.append((name, time.perf_counter() - started, _cpu_seconds(pid) - cpu))
            print(f"  {name:<12} {stages[-1][1]:8.1f} s  (server CPU {stages[-1][2]:.1f} s)", flush=True)

        def baseline() -> None:
            for deal in baseline_deals:
                deals_stub.AccrueInterest(
                    deals_pb2.AccrueInterestRequest(
                        request_id=f"baseline-{run}-{deal}", name=f"deals/{deal}", through_date=_date(MONTH_END)
                    ),
                    timeout=600,
                )

        def accrue() -> None:
            if per_deal:
                for deal in open_deals:
                    deals_stub.AccrueInterest(
                        deals_pb2.AccrueInterestRequest(
                            request_id=f"close-{run}-{deal}", name=f"deals/{deal}", through_date=_date(MONTH_END)
                        ),
                        timeout=600,
                    )
                return
            for b in range(branches):
                done = deals_stub.AccrueBranchInterest(
                    deals_pb2.AccrueBranchInterestRequest(
                        request_id=f"close-{run}", parent=f"parties/{branch_id(b)}", through_date=_date(MONTH_END)
                    ),
                    timeout=3600,
                )
                for key in ("deals_accrued", "deals_entering_non_accrual", "transactions_posted"):
                    accrual_counts[key] = accrual_counts.get(key, 0) + getattr(done, key)

        def reclassify() -> None:
            for b in range(branches):
                credit.ReclassifyDeals(
                    credit_pb2.ReclassifyDealsRequest(
                        request_id=f"classify-{run}", branch=f"parties/{branch_id(b)}", as_of_date=_date(MONTH_END)
                    ),
                    timeout=3600,
                )

        def impairment() -> None:
            for b in range(branches):
                credit.RunImpairment(
                    credit_pb2.RunImpairmentRequest(
                        request_id=f"impair-{run}", branch=f"parties/{branch_id(b)}", as_of_date=_date(MONTH_END)
                    ),
                    timeout=3600,
                )

        if baseline_deals:
            timed("baseline", baseline)
            base = stages.pop()
            baseline_figures.update(deals=len(baseline_deals), seconds=base[1], cpu=base[2])
        accrual_counts: dict[str, int] = {}
        timed("accrual", accrue)
        if accrual_counts:
            counts = accrual_counts
            print(
                f"    {counts['deals_accrued']:,} loans accrued, {counts['deals_entering_non_accrual']:,} entering"
                f" non-accrual, {counts['transactions_posted']:,} entries posted",
                flush=True,
            )
        timed("classify", reclassify)
        timed("impairment", impairment)
    return stages


def main(argv: list[str] | None = None) -> int:
    from bench import databases
    from bench import ledger_throughput as lt

    parser = argparse.ArgumentParser(prog="python -m bench.month_end", description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=100_000, help="deals in the portfolio (default 100,000)")
    parser.add_argument("--branches", type=int, default=50, help="branches the deals spread over (default 50)")
    parser.add_argument("--json", default="", help="also write the figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the database (its URL is printed)")
    parser.add_argument("--per-deal-accrual", action="store_true", help="one AccrueInterest call per deal")
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="build the portfolio into a new database, keep it, print its URL and stop (no close)",
    )
    parser.add_argument(
        "--database",
        default="",
        metavar="URL",
        help="run the close on this database, built by --generate-only with the same --deals and --branches",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="skip the baseline (the first branch's loans accrued one AccrueInterest call each, before the close)",
    )
    args = parser.parse_args(argv)
    admin = databases.admin_url()
    if not databases.postgres_reachable(admin):
        print(f"month-end benchmark: PostgreSQL not reachable at {admin}; skipped")
        return 1
    print(f"toudai month-end close: {args.deals:,} deals over {args.branches} branches as of {MONTH_END}")
    print(f"  machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.generate_only and args.database:
        parser.error("--generate-only builds a new database; --database closes one already built")
    started = time.perf_counter()
    portfolio = generate(args.deals, args.branches)
    generation = {"generated in memory": time.perf_counter() - started}
    if args.database:
        _check_generated(args.database, portfolio)  # before the try: a refused database is never dropped
    url = args.database or databases.create_postgres_database(admin, "monthend")
    keep = args.keep or args.generate_only
    try:
        if not args.database:
            generation.update(load(url, portfolio, args.branches))
            print(
                "  portfolio (not timed against the target): "
                + ", ".join(f"{k} {v:.1f} s" for k, v in generation.items()),
                flush=True,
            )
        if args.generate_only:
            return 0
        open_deals = [d.deal_id for d in portfolio if d.drawn]
        past_due = sum(1 for d in portfolio if d.drawn and d.missed)
        print(f"  {len(open_deals):,} drawn loans, {past_due:,} with missed instalments", flush=True)
        first_branch = branch_id(0)
        baseline_deals = (
            []
            if args.no_baseline or args.per_deal_accrual
            else [d.deal_id for d in portfolio if d.drawn and d.booking.terms.branch == first_branch]
        )
        baseline: dict[str, float] = {}
        with lt.server_process(url) as server:
            stages = close(
                server.port, args.branches, open_deals, args.per_deal_accrual, server.pid, baseline_deals, baseline
            )
        total = sum(wall for _, wall, _ in stages)
        # Below 100,000 deals the verdict is on the time scaled linearly to 100,000 (the close's cost is per
        # loan and per branch; docs/performance.md), and says so.
        at_target = total * TARGET_DEALS / args.deals
        met = at_target <= TARGET_SECONDS
        print(f"  {'stage':<12} {'seconds':>8} {'µs/deal':>9} {'server CPU µs/deal':>19}")
        for name, wall, cpu in stages:
            print(f"  {name:<12} {wall:8.1f} {wall / args.deals * 1e6:9.0f} {cpu / args.deals * 1e6:19.0f}")
        print(
            f"  {'total':<12} {total:8.1f} {total / args.deals * 1e6:9.0f}   "
            f"[target ≤ {TARGET_SECONDS:.0f} s for 100,000 deals: "
            + ("" if args.deals == TARGET_DEALS else f"{at_target:.0f} s scaled to 100,000 (extrapolated): ")
            + f"{'MET' if met else 'NOT MET'}]"
        )
        if baseline:
            per_call = baseline["seconds"] / baseline["deals"]
            batched = stages[0][1] / max(len(open_deals), 1)
            print(
                f"  baseline: {baseline['deals']:.0f} loans of {first_branch} accrued one AccrueInterest call each: "
                f"{per_call * 1e6:,.0f} µs a loan (server CPU {baseline['cpu'] / baseline['deals'] * 1e6:,.0f} µs); "
                f"AccrueBranchInterest {batched * 1e6:,.0f} µs a loan: {per_call / batched:.1f}× faster"
            )
        print(f"  load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        if args.json:
            figures = {
                "deals": args.deals,
                "branches": args.branches,
                "stages": {name: round(wall, 3) for name, wall, _ in stages},
                "server_cpu": {name: round(cpu, 3) for name, _, cpu in stages},
                "generation": {k: round(v, 3) for k, v in generation.items()},
                "total_seconds": round(total, 3),
                "baseline_per_deal_accrual": {k: round(v, 3) for k, v in baseline.items()},
                "met": met,
                "extrapolated": args.deals != TARGET_DEALS,
                "load_average": os.getloadavg(),
            }
            with open(args.json, "w") as out:
                json.dump(figures, out, indent=2)
    finally:
        if keep:
            print(f"  database kept: {url}")
        else:
            databases.drop_postgres_database(admin, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
