"""The month-end shortcuts of deals.credit.arrears give what the full computation gives.

- `scheduled_principal(loan)` is each period's principal of `build_schedule(loan)`;
- `dues_of(..., until=D)` is the instalments of `dues_of(...)` due on or before D, and days past due, the
  non-accrual start and the worst days past due over a cure window, asked for any date up to D, are the
  same from either list (deals.credit.arrears, `dues_of`).
Checked over a seeded sample of loans of every schedule kind and frequency, with payments on time, late,
partial, missed and early (prepayments).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from deals.credit.arrears import ArrearsBook, Payment, dues_of, scheduled_principal
from deals.schedule import BusinessDay, Frequency, LoanTerms, ScheduleKind, Subsidy, SubsidyKind, build_schedule
from deals.terms import Borrower, DealTerms, OptionTerms, RiskSharing, Split, Stage


def _terms(rng: random.Random) -> DealTerms:
    start = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
    months = rng.choice((6, 12, 24, 36))
    end_month = start.month - 1 + months
    maturity = dt.date(start.year + end_month // 12, end_month % 12 + 1, min(start.day, 28))
    loan = LoanTerms(
        principal=rng.randrange(100_000, 10_000_000) * 100,
        annual_rate=Decimal(rng.randrange(100, 900)) / 10_000,
        start=start,
        maturity=maturity,
        schedule=rng.choice(list(ScheduleKind)),
        frequency=rng.choice(list(Frequency)),
        business_day=rng.choice(list(BusinessDay)),
    )
    subsidy = rng.choice(
        (
            Subsidy(),
            Subsidy(SubsidyKind.RATE_POINTS, rate_points=Decimal("0.01")),
            Subsidy(SubsidyKind.INTEREST_SHARE, share=Decimal("0.3"), cap=100_000),
        )
    )
    return DealTerms(
        branch="b",
        borrower=Borrower("B", "91350100M000100Y43", Stage.GROWTH),
        loan=loan,
        option=OptionTerms(holder="a", company="c", share_class="common", quantity_basis=None),
        risk=RiskSharing(pool="p", base_rate=Decimal("0.5")),
        split=Split(3000, 5000, 2000),
        subsidy=subsidy,
        subsidy_fund="f" if subsidy.kind is not SubsidyKind.NONE else "",
    )


def _payments(rng: random.Random, terms: DealTerms) -> list[Payment]:
    """Each instalment paid on time, late, in part, early or not at all, replaying what is due."""
    start = terms.loan.start
    payments: list[Payment] = []
    for k, due in enumerate(dues_of(terms, start, [])):
        due = dues_of(terms, start, payments)[k]
        fate = rng.random()
        if fate < 0.15:
            continue  # missed
        day = due.on + dt.timedelta(days=rng.choice((0, 0, 0, 5, 40)))
        amount = due.amount if fate > 0.3 else due.amount // 2
        principal = due.principal if fate > 0.3 else 0
        if fate > 0.9:  # a prepayment on top
            principal += terms.loan.principal // 10
            amount += terms.loan.principal // 10
        payments.append(Payment(day, amount, min(principal, amount)))
    return sorted(payments, key=lambda p: p.on)


def test_scheduled_principal_is_the_schedules() -> None:
    rng = random.Random(5)
    for _ in range(150):
        loan = _terms(rng).loan
        assert scheduled_principal(loan) == tuple(p.principal for p in build_schedule(loan))


def test_dues_until_a_date_answer_as_the_full_dues() -> None:
    rng = random.Random(7)
    for _ in range(60):
        terms = _terms(rng)
        payments = _payments(rng, terms)
        start = terms.loan.start
        full = dues_of(terms, start, payments)
        full_book = ArrearsBook(full, payments)
        for _ in range(4):
            until = start + dt.timedelta(days=rng.randrange(0, 1200))
            short = dues_of(terms, start, payments, until=until)
            assert short == [d for d in full if d.on <= until]
            book = ArrearsBook(short, payments)
            for _ in range(5):
                day = start + dt.timedelta(days=rng.randrange(0, max((until - start).days, 1)))
                assert book.days_past_due(day) == full_book.days_past_due(day)
                window = day - dt.timedelta(days=89)
                assert book.worst_over(window, day) == full_book.worst_over(window, day)
                assert book.non_accrual_from(day, until, 90) == full_book.non_accrual_from(day, until, 90)
