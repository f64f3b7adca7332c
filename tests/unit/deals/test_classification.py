"""Days past due and the five categories (五级分类), against a loan worked out by hand.

The loan: 1,000,000.00 at 3.60 % ACT/360, 15 Jan 2025 to 15 Jan 2026, interest monthly on the 15th,
unadjusted, bullet, no subsidy. Interest is 1,000,000.00 × 3.6 % / 360 = 100.00 a day, so each period's
interest is 100.00 × its days: 15 Feb 3,100.00 (31 days), 15 Mar 2,800.00 (28), 15 Apr 3,100.00 (31),
15 May 3,000.00 (30), 15 Jun 3,100.00 (31), 15 Jul 3,000.00 (30), 15 Aug 3,100.00 (31), 15 Sep 3,100.00.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from deals.credit.arrears import ArrearsBook, Payment, days_past_due, dues_of
from deals.credit.classification import Category, Policy, by_days_past_due, classify
from deals.schedule import BusinessDay, LoanTerms, Subsidy
from tests.unit.deals.test_terms import good_terms

D = dt.date.fromisoformat
START = D("2025-01-15")


def terms(**loan: object) -> object:
    base = LoanTerms(
        principal=100_000_000,
        annual_rate=Decimal("0.036"),
        start=START,
        maturity=D("2026-01-15"),
        business_day=BusinessDay.UNADJUSTED,
    )
    return dataclasses.replace(good_terms(), loan=dataclasses.replace(base, **loan), subsidy=Subsidy())


def test_the_instalments_carry_the_interest_each_period_actually_had() -> None:
    dues = dues_of(terms(), START, [])  # type: ignore[arg-type]
    assert [(d.on, d.interest) for d in dues[:5]] == [
        (D("2025-02-15"), 310_000),
        (D("2025-03-15"), 280_000),
        (D("2025-04-15"), 310_000),
        (D("2025-05-15"), 300_000),
        (D("2025-06-15"), 310_000),
    ]
    assert dues[-1].principal == 100_000_000 and sum(d.principal for d in dues) == 100_000_000
    # A prepayment of 500,000.00 on 1 Mar halves the interest from then: 15 Feb → 1 Mar 14 days × 100.00
    # + 1 Mar → 15 Mar 14 days × 50.00 = 1,400.00 + 700.00 = 2,100.00 due on 15 Mar.
    prepaid = dues_of(terms(), START, [Payment(D("2025-03-01"), 50_000_000, 50_000_000)])  # type: ignore[arg-type]
    assert prepaid[1].interest == 210_000
    assert prepaid[2].interest == 155_000  # 31 days × 50.00


def test_days_past_due_count_from_the_oldest_instalment_not_covered() -> None:
    dues = dues_of(terms(), START, [])  # type: ignore[arg-type]
    paid = [Payment(D("2025-02-15"), 310_000, 0)]  # the first instalment only
    assert days_past_due(dues, paid, D("2025-03-15")) == 0  # due today: not yet past due
    assert days_past_due(dues, paid, D("2025-03-16")) == 1
    assert days_past_due(dues, paid, D("2025-04-14")) == 30  # 15 Mar → 14 Apr
    # A partial payment of 2,799.99 leaves 0.01 of the 15 Mar instalment: still past due from 15 Mar.
    short = [*paid, Payment(D("2025-03-20"), 279_999, 0)]
    assert days_past_due(dues, short, D("2025-04-14")) == 30
    # 2,800.00 covers 15 Mar; then 15 Apr is the oldest uncovered: 0 days on 14 Apr, 5 on 20 Apr.
    full = [*paid, Payment(D("2025-03-20"), 280_000, 0)]
    assert days_past_due(dues, full, D("2025-04-14")) == 0
    assert days_past_due(dues, full, D("2025-04-20")) == 5
    assert days_past_due(dues, [], D("2025-02-14")) == 0  # nothing due yet


@pytest.mark.parametrize(
    ("days", "category"),
    [
        (0, Category.NORMAL),
        (1, Category.SPECIAL_MENTION),
        (90, Category.SPECIAL_MENTION),
        (91, Category.SUBSTANDARD),
        (270, Category.SUBSTANDARD),
        (271, Category.DOUBTFUL),
        (360, Category.DOUBTFUL),
        (361, Category.LOSS),
    ],
)
def test_thresholds(days: int, category: Category) -> None:
    assert by_days_past_due(days) is category


def test_a_loan_slides_then_cures_after_the_cure_period() -> None:
    dues = dues_of(terms(), START, [])  # type: ignore[arg-type]
    first = [Payment(D("2025-02-15"), 310_000, 0)]
    book = ArrearsBook(dues, first)

    def category(day: str, book: ArrearsBook = book) -> Category:
        return classify(book, D(day), defaulted_on=None, written_off_on=None).category

    assert category("2025-03-15") is Category.NORMAL
    assert category("2025-03-16") is Category.SPECIAL_MENTION  # 1 day
    assert category("2025-06-13") is Category.SPECIAL_MENTION  # 15 Mar + 90 days
    assert category("2025-06-14") is Category.SUBSTANDARD  # 91 days
    assert category("2025-12-10") is Category.SUBSTANDARD  # 270 days
    assert category("2025-12-11") is Category.DOUBTFUL  # 271 days
    # Paid up on 20 Jun: 2,800.00 + 3,100.00 + 3,000.00 + 3,100.00 = 12,000.00 covers 15 Mar to 15 Jun;
    # then 15 Jul 3,000.00, 15 Aug 3,100.00 and 15 Sep 3,100.00 on their dates.
    cured = ArrearsBook(
        dues,
        [
            *first,
            Payment(D("2025-06-20"), 1_200_000, 0),
            Payment(D("2025-07-15"), 300_000, 0),
            Payment(D("2025-08-15"), 310_000, 0),
            Payment(D("2025-09-15"), 310_000, 0),
        ],
    )
    assert cured.days_past_due(D("2025-06-20")) == 0
    # 19 Jun was 96 days past due: substandard holds while 19 Jun is inside the 90-day window, i.e. through
    # 16 Sep (16 Sep − 89 days = 19 Jun); on 17 Sep the window starts 20 Jun and the loan is normal.
    assert category("2025-06-20", cured) is Category.SUBSTANDARD
    assert category("2025-09-16", cured) is Category.SUBSTANDARD
    assert category("2025-09-17", cured) is Category.NORMAL
    shorter = classify(cured, D("2025-07-19"), defaulted_on=None, written_off_on=None, policy=Policy(cure_days=30))
    assert shorter.category is Category.NORMAL  # 30-day window from 20 Jun: 19 Jul is its 30th day


def test_default_write_off_and_manual_floor() -> None:
    dues = dues_of(terms(), START, [])  # type: ignore[arg-type]
    book = ArrearsBook(dues, [Payment(D("2025-02-15"), 310_000, 0)])
    defaulted = classify(book, D("2025-04-01"), defaulted_on=D("2025-03-31"), written_off_on=None)
    assert (defaulted.days_past_due, defaulted.category) == (17, Category.SUBSTANDARD)  # impaired beats 17 days
    assert defaulted.reason == "defaulted (credit-impaired)"
    assert classify(book, D("2025-03-30"), defaulted_on=D("2025-03-31"), written_off_on=None).category is (
        Category.SPECIAL_MENTION  # as of the day before the default, 15 days past due
    )
    assert classify(book, D("2025-05-01"), defaulted_on=D("2025-03-31"), written_off_on=D("2025-04-30")).category is (
        Category.LOSS
    )
    floored = classify(book, D("2025-03-01"), defaulted_on=None, written_off_on=None, floor=Category.DOUBTFUL)
    assert (floored.days_past_due, floored.category, floored.reason) == (
        0,
        Category.DOUBTFUL,
        "manual override to doubtful",
    )


def test_the_first_non_accrual_day() -> None:
    # Paid the first period only: the 15 Mar instalment is the oldest uncovered; more than 90 days past due
    # from 14 Jun (15 Mar + 91 days).
    book = ArrearsBook(dues_of(terms(), START, []), [Payment(D("2025-02-15"), 310_000, 0)])  # type: ignore[arg-type]
    assert book.non_accrual_from(D("2025-05-01"), D("2025-07-01"), 90) == D("2025-06-14")
    assert book.non_accrual_from(D("2025-05-01"), D("2025-06-14"), 90) is None  # the range ends the day before
    assert book.non_accrual_from(D("2025-06-20"), D("2025-07-01"), 90) == D("2025-06-20")  # already
    assert ArrearsBook(dues_of(terms(), START, []), []).non_accrual_from(D("2025-01-15"), D("2025-02-01"), 90) is None
