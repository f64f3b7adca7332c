"""The `toudai deal ...` subcommands (DealService) and `toudai demo`.

Each handler takes the parsed arguments, a connected `ToudaiClient` and the console to print on, and
returns the exit code; a refusal by the server is raised as a ToudaiError and reported by clients.cli
(exit 1, with every field violation), an unreadable deal file as a DealFileError (exit 2, with the path
of every problem). Deals are named `deals/{deal}` or just `{deal}`; parties by their id (`bank-hz`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from clients import cli_args, humanize, render
from clients.client import ToudaiClient
from clients.deal_client import (
    DealClient,
)
from clients.deal_files import DealFileError, load_deals
from clients.deal_types import (
    Accrual,
    BranchAccrual,
    ClaimStatus,
    CompensationClaim,
    Deal,
    DealStatus,
    Default,
    Disbursement,
    HolidayCalendar,
    LoanTerms,
    PoolFunding,
    Recovery,
    Repayment,
    Schedule,
    SubsidyType,
    WriteOff,
)

EXIT_OK = 0

BOOK_HELP = """\
Book the linked deal(s) in FILE (YAML, or JSON if FILE ends in .json; '-' reads stdin):

  deal_id: hz-2026-001
  branch: bank-hz
  borrower: {name: 杭州云芯科技有限公司, uscc: 91330106MA2H7K3C08, stage: growth}
  loan:
    principal: 10000000.00          # CNY, read as an exact decimal
    annual_rate: 0.0435             # a fraction, or "4.35%"
    start_date: 2026-03-16
    maturity_date: 2027-03-16
    schedule: bullet                # bullet | equal_principal | equal_instalment
    frequency: monthly              # monthly | quarterly
    day_count: act_360              # act_360 | act_365f
    business_day: modified_following
    calendar: cn_mainland           # cn_mainland (holidays and 调休) | weekends_only
    extra_holidays: []              # the contract's own non-business days, YYYY-MM-DD
  subsidy: {type: rate_points, fund: subsidy-fund, rate_points: 0.0365}     # optional
  option:
    holder: invest-arm
    company: 杭州云芯科技有限公司
    share_class: A
    quantity_basis: coverage        # shares | stake | coverage
    coverage: 0.10
    strike_basis: last_round_price  # fixed_price | last_round_price | next_round_discount | valuation_cap
    strike_price: 10.00
    exercise_window: {start: 2027-03-16, end: 2033-03-16}
    triggers: [qualifying_round, ipo, merger]
    qualifying_round_size: 50000000.00
  risk_sharing: {risk_pool: risk-pool, base_rate: 0.50, first_loan: true, first_loan_rate: 0.90,
                 cap: 3000000.00}
  split: {bank_bps: 3000, investment_arm_bps: 5000, risk_pool_bps: 2000}

Several deals go under `deals:` as a list. The booking's request_id is --request-id, else the file's
`request_id`, else `book:{deal_id}`: booking the same file again returns the booked deal and books
nothing twice. Problems in the file exit 2 naming each path; the server's violations exit 1.
"""


def booking_request_id(deal_id: str) -> str:
    """The default idempotency key of a booking: one deal id, one booking."""
    return f"book:{deal_id}"


# ---------------------------------------------------------------- rendering


def _cny(value: Decimal | None) -> str:
    return humanize.amount(value, places=2)


def _rate(value: Decimal | None) -> str:
    if value is None:
        return ""
    percent = (value * 100).normalize()
    return f"{format(percent, 'f')}%"


def _price(value: Decimal) -> str:
    """A price per share: at least two decimals, more if the contract has them (clients.humanize)."""
    return humanize.amount(value, places=2)


def _table(title: str, *columns: str, numeric: Iterable[str] = ()) -> Table:
    return render.table(title, *columns, numeric=numeric)


def _fields(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    return render.fields(title, rows)


def _terms_rows(deal: Deal) -> list[tuple[str, str]]:
    t = deal.terms
    b, lo, su, op, ri, sp = t.borrower, t.loan, t.subsidy, t.option, t.risk_sharing, t.split
    borrower = f"{b.name} ({b.uscc})" + (f", {b.stage.value}" if b.stage else "")
    if b.credit_score is not None:
        borrower += f", score {b.credit_score}"
    loan = (
        f"{_cny(lo.principal)} CNY at {_rate(lo.annual_rate)} {lo.day_count.value}, "
        f"{lo.start_date.isoformat()} → {lo.maturity_date.isoformat()}, {lo.schedule.value}, {lo.frequency.value}, "
        f"{lo.business_day.value}" + (", end of month" if lo.end_of_month else "") + f", {_calendar(lo)}"
    )
    subsidy = ""
    if su.type is SubsidyType.RATE_POINTS:
        subsidy = f"{_rate(su.rate_points)} of the rate paid by {su.subsidy_fund}"
    elif su.type is SubsidyType.INTEREST_SHARE:
        subsidy = f"{_rate(su.share)} of the interest paid by {su.subsidy_fund}"
    if subsidy and su.cap is not None:
        subsidy += f", cap {_cny(su.cap)} CNY"
    strike = op.strike_basis.value if op.strike_basis else ""
    if op.strike_price is not None:
        strike += f" {_price(op.strike_price)} CNY/share"
    elif op.discount is not None:
        strike += f" less {_rate(op.discount)}"
    elif op.valuation_cap is not None:
        strike += f" {_cny(op.valuation_cap)} CNY"
    basis = op.quantity_basis.value if op.quantity_basis else ""
    if op.coverage is not None:
        basis += f" {_rate(op.coverage)} of principal"
    elif op.stake is not None:
        basis += f" {_rate(op.stake)} of {op.fully_diluted_shares:,} shares"
    window = ""
    if op.exercise_window_start and op.exercise_window_end:
        window = f"{op.exercise_window_start.isoformat()} → {op.exercise_window_end.isoformat()}"
    option = (
        f"{deal.option_quantity:,} {deal.option_commodity} held by {op.holder}: {op.company} class {op.share_class}, "
        f"{basis}, strike {strike}"
    )
    if window:
        option += f", window {window}"
    if op.triggers:
        option += ", triggers " + ", ".join(t.value for t in op.triggers)
    tiers = f"{_rate(ri.base_rate)} base"
    if ri.first_loan:
        tiers += f", first loan {_rate(ri.first_loan_rate)}"
    if ri.unsecured_threshold:
        tiers += f", {_rate(ri.unsecured_rate)} when unsecured ≥ {_rate(ri.unsecured_threshold)}"
        tiers += f" (unsecured {_rate(ri.unsecured_share)})"
    risk = f"{ri.risk_pool}: {tiers}" + (f", cap {_cny(ri.cap)} CNY" if ri.cap else "")
    if ri.insurer:
        risk += f"; insurer {ri.insurer} {_rate(ri.insurer_rate)}"
    split = f"bank {sp.bank_bps} / investment arm {sp.investment_arm_bps} / pool {sp.risk_pool_bps} bps"
    if sp.advisory_fee:
        split += f", advisory fee {_cny(sp.advisory_fee)} CNY"
    return [
        ("Status", deal.status.value),
        ("Branch", t.branch),
        ("Borrower", borrower),
        ("Loan", loan),
        ("Subsidy", subsidy or "none"),
        ("Option", option),
        ("Risk sharing", risk),
        ("Split", split),
    ]


def _balance_rows(deal: Deal) -> list[tuple[str, str]]:
    return [
        ("Principal outstanding", f"{_cny(deal.principal_outstanding)} CNY"),
        ("Interest receivable", f"{_cny(deal.interest_receivable)} CNY"),
        ("Subsidy receivable", f"{_cny(deal.subsidy_receivable)} CNY"),
        ("Accrued through", deal.accrued_through.isoformat() if deal.accrued_through else "not yet"),
        *(
            [("Off-balance interest", f"{_cny(deal.off_balance_interest)} CNY (表外, not income)")]
            if deal.off_balance_interest or deal.non_accrual_since
            else []
        ),
        *(
            [("Non-accrual since", f"{deal.non_accrual_since.isoformat()} (停止计息)")]
            if deal.non_accrual_since
            else []
        ),
    ]


def deal_table(deal: Deal) -> Table:
    """The terms and balances of one deal."""
    return _fields(f"Deal {humanize.ident(deal.name)}", [*_terms_rows(deal), *_balance_rows(deal)])


def _detail(value: str) -> str:
    """An event detail: a decimal amount (`37458.33`) in the one amount style, anything else as it is."""
    if re.fullmatch(r"-?\d+\.\d+", value):
        return humanize.amount(Decimal(value), places=2)
    return value


def events_table(deal: Deal) -> Table:
    table = _table("Events", "#", "Kind", "Value date", "Details", "Transaction")
    for number, event in enumerate(deal.events, start=1):
        details = ", ".join(f"{k}={_detail(v)}" for k, v in event.details.items())
        table.add_row(
            str(number),
            event.kind,
            event.value_date.isoformat() if event.value_date else "",
            details,
            humanize.ident(event.transaction),
        )
    return table


def deals_table(deals: Iterable[Deal], title: str = "Deals") -> Table:
    """One line per deal; the principal, schedule and option units only with `-o wide` (80 columns hold the
    rest: a clerk scanning deals looks for the borrower, the status and what is still owed)."""
    wide = humanize.is_wide()
    columns = ["Deal", "Branch", "Borrower", "Status"]
    columns += ["Principal"] if wide else []
    columns += ["Outstanding", "Rate"]
    columns += ["Schedule", "Holder", "Option units"] if wide else ["Holder"]
    table = _table(title, *columns, numeric=("Principal", "Outstanding", "Rate", "Option units"))
    for d in deals:
        lo = d.terms.loan
        row = [d.name if wide else humanize.ident(d.name), d.terms.branch, d.terms.borrower.name, d.status.value]
        row += [_cny(lo.principal)] if wide else []
        row += [_cny(d.principal_outstanding), _rate(lo.annual_rate)]
        if wide:
            row += [f"{lo.schedule.value} {lo.frequency.value}", d.terms.option.holder, f"{d.option_quantity:,}"]
        else:
            row += [d.terms.option.holder]
        table.add_row(*row)
    return table


SCHEDULE_MONEY = (
    "Opening principal",
    "Principal",
    "Interest",
    "Subsidy",
    "Borrower interest",
    "Borrower payment",
)


def _calendar(lo: LoanTerms) -> str:
    """The deal's business-day calendar in words, with its own exceptions counted."""
    words = "mainland China calendar" if lo.calendar is HolidayCalendar.CN_MAINLAND else "weekends-only calendar"
    extras = [
        f"{len(days)} extra {label}"
        for days, label in ((lo.extra_holidays, "holidays"), (lo.extra_working_days, "working days"))
        if days
    ]
    return words + (f" ({', '.join(extras)})" if extras else "")


def schedule_table(schedule: Schedule) -> Table:
    table = _table(
        f"Schedule of {schedule.deal}",
        "Period",
        "From",
        "To",
        "Payment date",
        "Days",
        *SCHEDULE_MONEY,
        numeric=("Period", "Days", *SCHEDULE_MONEY),
    )
    for p in schedule.periods:
        table.add_row(
            str(p.number),
            p.accrual_start.isoformat() if p.accrual_start else "",
            p.accrual_end.isoformat() if p.accrual_end else "",
            (p.payment_date.isoformat() + (" (provisional)" if p.provisional else "")) if p.payment_date else "",
            str(p.days),
            _cny(p.opening_principal),
            _cny(p.principal),
            _cny(p.interest),
            _cny(p.subsidy),
            _cny(p.borrower_interest),
            _cny(p.borrower_payment),
        )
    table.add_section()
    table.add_row(
        "Total",
        "",
        "",
        "",
        str(sum(p.days for p in schedule.periods)),
        "",
        _cny(schedule.total_principal),
        _cny(schedule.total_interest),
        _cny(schedule.total_subsidy),
        _cny(schedule.total_borrower_interest),
        _cny(schedule.total_borrower_payment),
        style="bold",
    )
    return table


def _step_table(title: str, deal: Deal, rows: Iterable[tuple[str, str]], transaction: str = "") -> Table:
    return _fields(
        title,
        [
            ("Deal", humanize.ident(deal.name)),
            *rows,
            ("Status", deal.status.value),
            *_balance_rows(deal),
            ("Transaction", humanize.ident(transaction)),
        ],
    )


def disbursement_table(result: Disbursement) -> Table:
    lo = result.deal.terms.loan
    return _step_table("Disbursed", result.deal, [("Principal", f"{_cny(lo.principal)} CNY")], result.transaction)


def accrual_table(result: Accrual) -> Table:
    rows = [
        ("Accrued", f"{_cny(result.accrued)} CNY"),
        ("of which subsidy", f"{_cny(result.subsidy)} CNY"),
        ("of which borrower", f"{_cny(result.accrued - result.subsidy)} CNY"),
    ]
    if result.moved_off_balance or result.subsidy_reversed:
        since = result.deal.non_accrual_since.isoformat() if result.deal.non_accrual_since else "?"
        rows += [
            ("Non-accrual from", f"{since} (more than the policy's days past due)"),
            ("Unpaid interest moved off balance sheet", f"{_cny(result.moved_off_balance)} CNY (income reversed)"),
            ("Subsidy receivable reversed", f"{_cny(result.subsidy_reversed)} CNY"),
        ]
    if result.off_balance_interest or result.deal.non_accrual_since:
        rows.append(("Off-balance interest (表外, not income)", f"{_cny(result.off_balance_interest)} CNY"))
    return _step_table("Interest accrued", result.deal, rows, result.transaction or "(nothing to post)")


def repayment_table(result: Repayment) -> Table:
    paid = result.overdue_interest + result.interest + result.off_balance_interest + result.principal
    table = _table("Repayment allocation", "Part", "Amount (CNY)", numeric=("Amount (CNY)",))
    table.add_row("Overdue interest", _cny(result.overdue_interest))
    table.add_row("Interest", _cny(result.interest))
    if result.off_balance_interest or result.deal.non_accrual_since or result.accrual_resumed:
        table.add_row("Off-balance interest (income on receipt)", _cny(result.off_balance_interest))
    table.add_row("Principal", _cny(result.principal))
    table.add_section()
    table.add_row("Paid by the borrower", _cny(paid), style="bold")
    table.add_row("Subsidy settled by the fund", _cny(result.subsidy))
    if result.accrual_resumed:
        table.add_row("Back on accrual: off-balance interest recognised", _cny(result.accrual_resumed))
    return table


def default_table(result: Default) -> Table:
    table = _table("Default", "Part", "Amount (CNY)", numeric=("Amount (CNY)",))
    table.add_row("Loss (principal + accrued interest)", _cny(result.loss), style="bold")
    table.add_row("Compensation paid by the pool", _cny(result.compensation_paid))
    table.add_row("Compensation claim on the pool", _cny(result.compensation_claim))
    table.add_row("Insurer share", _cny(result.insurer_share))
    if result.compensation_pending:
        table.add_row("Waiting for the pool's approval (claim)", _cny(result.compensation_pending))
    remaining = (
        result.loss
        - result.compensation_paid
        - result.compensation_claim
        - result.insurer_share
        - result.compensation_pending
    )
    table.add_section()
    table.add_row("Borne by the bank (to write off)", _cny(remaining))
    if result.subsidy_reversed:
        table.add_row("Subsidy reversed (accrued since the last repayment)", _cny(result.subsidy_reversed))
    return table


def claims_table(claims: Iterable[CompensationClaim]) -> Table:
    table = _table(
        "Compensation claims",
        "Deal",
        "Pool",
        "Branch",
        "Status",
        "Amount (CNY)",
        "Paid",
        "Owed",
        "Filed by",
        "Decided by",
        numeric=("Amount (CNY)", "Paid", "Owed"),
    )
    for c in claims:
        table.add_row(
            c.deal.removeprefix("deals/"),
            c.risk_pool,
            c.branch,
            c.status.value,
            _cny(c.amount),
            _cny(c.paid),
            _cny(c.owed),
            c.filed_by,
            c.decided_by or "—",
        )
    return table


def deal_claims(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    status = ClaimStatus(args.status) if args.status else None
    found = list(DealClient(client).list_claims(risk_pool=args.pool or "", branch=args.branch or "", status=status))
    return _emit(args, console, found, claims_table(found))


def deal_claim(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    claim = DealClient(client).get_claim(args.name)
    return _emit(args, console, claim, claims_table([claim]))


def deal_approve_claim(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    claim = DealClient(client).approve_claim(args.name, value_date=args.date, request_id=args.request_id)
    return _emit(args, console, claim, claims_table([claim]))


def deal_reject_claim(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    claim = DealClient(client).reject_claim(args.name, reason=args.reason, request_id=args.request_id)
    return _emit(args, console, claim, claims_table([claim]))


def pool_funding_table(result: PoolFunding) -> Table:
    return _fields(
        "Risk pool funded",
        [
            ("Risk pool", result.risk_pool),
            ("Contribution", f"{_cny(result.amount)} CNY"),
            ("Claims paid", f"{_cny(result.claims_paid)} CNY"),
            ("Transactions", "\n".join(result.transactions)),
        ],
    )


def write_off_table(result: WriteOff) -> Table:
    rows = [
        ("Written off", f"{_cny(result.written_off)} CNY"),
        ("Pool compensation applied", f"{_cny(result.compensation_applied)} CNY"),
        ("Insurer share applied", f"{_cny(result.insurance_applied)} CNY"),
        ("Loan loss allowance applied", f"{_cny(result.allowance_applied)} CNY"),
        ("Loan loss of the day", f"{_cny(result.loan_loss)} CNY"),
    ]
    if result.off_balance_interest:
        rows.append(("Off-balance interest still owed (账销案存)", f"{_cny(result.off_balance_interest)} CNY"))
    return _step_table("Written off", result.deal, rows, result.transaction)


def recovery_table(result: Recovery) -> Table:
    table = _table("Recovery", "Part", "Amount (CNY)", numeric=("Amount (CNY)",))
    table.add_row("Collection costs", _cny(result.costs))
    table.add_row("Principal", _cny(result.principal))
    table.add_row("Interest", _cny(result.interest))
    if result.off_balance_interest:
        table.add_row("Off-balance interest (the bank's)", _cny(result.off_balance_interest))
    recovered = result.costs + result.principal + result.interest + result.off_balance_interest
    table.add_row("Recovered", _cny(recovered), style="bold")
    table.add_section()
    table.add_row("Risk pool's share", _cny(result.pool_share))
    table.add_row("  set off against its open claim", _cny(result.pool_set_off))
    table.add_row("  paid in cash", _cny(result.pool_share - result.pool_set_off))
    table.add_row("Insurer's share", _cny(result.insurer_share))
    table.add_row("  set off against its unpaid share", _cny(result.insurer_set_off))
    table.add_row("  paid in cash", _cny(result.insurer_share - result.insurer_set_off))
    table.add_row("Bank's share", _cny(result.bank_share))
    return table


# ---------------------------------------------------------------- handlers


def _emit(args: argparse.Namespace, console: Console, data: object, *tables: Table) -> int:
    if args.json:
        render.print_json(data)
    else:
        render.show(console, *tables)
        if getattr(data, "replayed", False) and not isinstance(data, BranchAccrual):  # (its table says so)
            console.print(replay_note(getattr(args, "request_id", "") or ""), highlight=False)
    return EXIT_OK


def replay_note(request_id: str) -> str:
    """What a clerk is told when a deal step's request id had been used: the server did nothing this time."""
    return (
        f"{request_id}: already recorded by an earlier call with this request id, nothing changed "
        "(the figures above are that call's)"
    )


def deal_book(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    path = args.file or args.file_option
    if not path or (args.file and args.file_option):
        Console(stderr=True, soft_wrap=True).print(
            "[bold red]error:[/] name one deal file: `toudai deal book FILE` (e.g. examples/worked-example.yaml)",
            highlight=False,
        )
        return 2
    source = "<stdin>" if path == "-" else path
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    files = load_deals(text, source)
    if args.request_id and len(files) > 1:
        raise DealFileError(source, [f"--request-id names one booking, but the file has {len(files)} deals"])
    deals = DealClient(client)
    booked = [
        deals.book(f.deal_id, f.terms, request_id=args.request_id or f.request_id or booking_request_id(f.deal_id))
        for f in files
    ]
    if len(booked) == 1:
        return _emit(args, console, booked[0], deal_table(booked[0]))
    return _emit(args, console, booked, deals_table(booked, "Booked"))


def deal_show(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    deal = DealClient(client).get(args.name)
    return _emit(args, console, deal, deal_table(deal), events_table(deal))


def deal_list(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    deals = list(
        DealClient(client).list(branch=args.branch, status=args.status, borrower_uscc=args.borrower, holder=args.holder)
    )
    return _emit(args, console, deals, deals_table(deals))


def deal_schedule(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    schedule = DealClient(client).schedule(args.name)
    return _emit(args, console, schedule, schedule_table(schedule))


def deal_disburse(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).disburse(args.name, value_date=args.date, request_id=args.request_id)
    return _emit(args, console, result, disbursement_table(result))


def deal_accrue(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    through = args.through if args.through is not None else args.to - dt.timedelta(days=1)
    result = DealClient(client).accrue(args.name, through, request_id=args.request_id)
    return _emit(args, console, result, accrual_table(result))


def deal_accrue_branch(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).accrue_branch(args.party, args.through, request_id=args.request_id)
    return _emit(args, console, result, branch_accrual_table(args.party, args.through, result))


def branch_accrual_table(party: str, through: dt.date, result: BranchAccrual) -> Table:
    table = render.titled(f"Interest accrued through {through.isoformat()}, every open loan of {party}")
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for label, value in (
        ("Loans accrued", f"{result.deals_accrued:,}"),
        ("Loans accrued past the date (left alone)", f"{result.deals_accrued_later:,}"),
        ("Loans entering non-accrual", f"{result.deals_entering_non_accrual:,}"),
        ("Accrued (income)", f"{_cny(result.accrued)} CNY"),
        ("of which subsidy", f"{_cny(result.subsidy)} CNY"),
        ("Off-balance interest (表外, not income)", f"{_cny(result.off_balance_interest)} CNY"),
        ("Journal entries posted", f"{result.transactions_posted:,}"),
    ):
        table.add_row(label, value)
    if result.replayed:
        table.caption = "a retry: this request id was already used; nothing was posted again"
    return table


def deal_repay(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).repay(args.name, args.amount, args.date, request_id=args.request_id)
    return _emit(
        args,
        console,
        result,
        repayment_table(result),
        _step_table("After the repayment", result.deal, [], result.transaction),
    )


def deal_default(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).record_default(args.name, args.date, reason=args.reason, request_id=args.request_id)
    return _emit(
        args,
        console,
        result,
        default_table(result),
        _step_table("After the default", result.deal, [], result.transaction),
    )


def deal_fund_pool(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).fund_pool(args.pool, args.amount, args.date, request_id=args.request_id)
    return _emit(args, console, result, pool_funding_table(result))


def deal_write_off(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).write_off(args.name, args.date, request_id=args.request_id)
    return _emit(args, console, result, write_off_table(result))


def deal_recover(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    result = DealClient(client).record_recovery(
        args.name, args.amount, costs=args.costs, value_date=args.date, request_id=args.request_id
    )
    return _emit(
        args,
        console,
        result,
        recovery_table(result),
        _step_table("After the recovery", result.deal, [], result.transaction),
    )


def deal_close(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    deal = DealClient(client).close(args.name, request_id=args.request_id)
    return _emit(args, console, deal, _step_table("Closed", deal, []))


def demo(args: argparse.Namespace, client: ToudaiClient, console: Console) -> int:
    from clients import demo as demo_module

    return demo_module.run(args, client, console)


# ---------------------------------------------------------------- registration

Command = Callable[..., argparse.ArgumentParser]

NAME_HELP = "deals/{deal} or the bare deal id, e.g. hz-2026-001"


def register(subparsers: Any, command: Command, group: Callable[[Any, str, str], Any]) -> None:
    """Add `toudai deal ...` and `toudai demo` (see clients.cli.COMMAND_MODULES)."""
    deal = group(
        subparsers, "deal", "linked deals: book, schedule, disburse, accrue, repay, default, write off, recover, close"
    )

    book = command(deal, "book", deal_book, "book linked deals from a YAML or JSON file", description=BOOK_HELP)
    book.add_argument(
        "file", nargs="?", help="path to a .yaml/.yml/.json deal file, or - for stdin (as `toudai post FILE`)"
    )
    book.add_argument("--file", dest="file_option", help=argparse.SUPPRESS)  # deprecated spelling, one release
    book.add_argument("--request-id", help="idempotency key (default: the file's request_id, else book:{deal_id})")

    show = command(deal, "show", deal_show, "show a deal: terms, status, balances and events")
    show.add_argument("name", help=NAME_HELP)

    listing = command(deal, "list", deal_list, "list deals")
    listing.add_argument("--branch", help="only this branch's deals (party id)")
    listing.add_argument("--status", choices=[s.value for s in DealStatus], help="only deals in this status")
    listing.add_argument("--borrower", help="only this borrower's deals (unified social credit code)")
    listing.add_argument("--holder", help="only deals whose option this party holds (party id)")

    schedule = command(deal, "schedule", deal_schedule, "show a deal's repayment schedule with totals")
    schedule.add_argument("name", help=NAME_HELP)

    disburse = command(deal, "disburse", deal_disburse, "pay out the principal", mutation=True)
    disburse.add_argument("name", help=NAME_HELP)
    disburse.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: the loan's start)")

    accrue = command(
        deal,
        "accrue",
        deal_accrue,
        "accrue interest through a date, that day included and posted on it (again: nothing)",
        mutation=True,
    )
    accrue.add_argument("name", help=NAME_HELP)
    until = accrue.add_mutually_exclusive_group(required=True)
    until.add_argument(
        "--through",
        type=cli_args.date,
        help="the last day accrued, YYYY-MM-DD (month-end: --through 2025-08-31 puts August in August)",
    )
    # Deprecated spelling, one release: the day after the last day accrued (--to D is --through D-1).
    until.add_argument("--to", type=cli_args.date, help=argparse.SUPPRESS)

    accrue_branch = command(
        deal,
        "accrue-branch",
        deal_accrue_branch,
        "month-end: accrue every open loan of a branch through a date, in one call",
        mutation=True,
    )
    accrue_branch.add_argument("--party", required=True, help="the branch, e.g. bank-hz or parties/bank-hz")
    accrue_branch.add_argument(
        "--through", type=cli_args.date, required=True, help="the last day accrued, YYYY-MM-DD (e.g. 2025-08-31)"
    )

    repay = command(
        deal, "repay", deal_repay, "record a repayment: overdue interest, interest, then principal", mutation=True
    )
    repay.add_argument("name", help=NAME_HELP)
    repay.add_argument("--amount", type=cli_args.cny, required=True, help="CNY paid, exact decimal")
    repay.add_argument("--date", type=cli_args.date, required=True, help="value date YYYY-MM-DD")

    default = command(deal, "default", deal_default, "record a default; the risk pool compensates", mutation=True)
    default.add_argument("name", help=NAME_HELP)
    default.add_argument("--date", type=cli_args.date, required=True, help="value date YYYY-MM-DD")
    default.add_argument("--reason", default="", help="why, for the record")

    fund = command(
        deal, "fund-pool", deal_fund_pool, "add money to a risk pool; it pays open claims first", mutation=True
    )
    fund.add_argument("pool", help="the risk pool's party id, e.g. risk-pool")
    fund.add_argument("--amount", type=cli_args.cny, required=True, help="CNY contributed, exact decimal")
    fund.add_argument("--date", type=cli_args.date, required=True, help="value date YYYY-MM-DD")

    write_off = command(deal, "write-off", deal_write_off, "write off what remains of a defaulted loan", mutation=True)
    write_off.add_argument("name", help=NAME_HELP)
    write_off.add_argument("--date", type=cli_args.date, required=True, help="value date YYYY-MM-DD")

    recover = command(
        deal,
        "recover",
        deal_recover,
        "record a recovery on a defaulted or written-off loan: costs, then principal, then interest, "
        "shared with the risk pool and the insurer pro rata to what each bore",
        mutation=True,
    )
    recover.add_argument("name", help=NAME_HELP)
    recover.add_argument(
        "--amount", type=cli_args.cny, required=True, help="CNY recovered in all, costs included, exact decimal"
    )
    recover.add_argument(
        "--costs",
        type=cli_args.cny,
        help="of --amount, the collection costs (催收费用) it reimburses to the bank first (default: none)",
    )
    recover.add_argument(
        "--date", type=cli_args.date, help="value date YYYY-MM-DD (default: the server's business date)"
    )

    close = command(deal, "close", deal_close, "close a fully repaid deal", mutation=True)
    close.add_argument("name", help=NAME_HELP)

    claims = command(deal, "claims", deal_claims, "list the risk pools' compensation claims")
    claims.add_argument("--pool", help="only this pool's claims (party id)")
    claims.add_argument("--branch", help="only this branch's claims (party id)")
    claims.add_argument("--status", choices=[s.value for s in ClaimStatus], help="only claims in this status")
    claim = command(deal, "claim", deal_claim, "show a defaulted deal's compensation claim")
    claim.add_argument("name", help=NAME_HELP)
    approve = command(
        deal,
        "approve-claim",
        deal_approve_claim,
        "the pool approves a pending claim: its compensation is posted (pool staff; not the person who filed it)",
        mutation=True,
    )
    approve.add_argument("name", help=NAME_HELP)
    approve.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: the default's)")
    reject = command(
        deal, "reject-claim", deal_reject_claim, "the pool rejects a pending claim: nothing is posted", mutation=True
    )
    reject.add_argument("name", help=NAME_HELP)
    reject.add_argument("--reason", required=True, help="why the pool rejects it, for the record")

    from clients.demo import DEMO_HELP

    command(
        subparsers,
        "demo",
        demo,
        "book a small portfolio of linked deals on a running server (idempotent)",
        description=DEMO_HELP,
    )
