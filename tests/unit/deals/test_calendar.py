"""Business days and payment dates against the published mainland China holiday calendar.

The expected dates are written out from the State Council's notice on the 2026 holidays
(国务院办公厅关于2026年部分节假日安排的通知, published November 2025), not from the code or the package:
- Spring Festival: 15 February (Sunday) to 23 February (Monday) off, 9 days; Saturday 14 February and
  Saturday 28 February are working days (调休).
- National Day: 1 October (Thursday) to 7 October (Wednesday) off; Sunday 20 September and Saturday
  10 October are working days.
- Mid-Autumn Festival: 25 to 27 September (Friday to Sunday) off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from deals.accrual import AccrualState, accrue
from deals.calendar import BusinessCalendar, CalendarKind, covered_years
from deals.schedule import (
    BusinessDay,
    DayCount,
    Frequency,
    LoanTerms,
    ScheduleKind,
    Subsidy,
    adjust,
    build_schedule,
    provisional_payments,
)

D = dt.date.fromisoformat
CN = BusinessCalendar()
WEEKENDS = BusinessCalendar(CalendarKind.WEEKENDS_ONLY)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        ("2026-02-13", True),  # Friday before the Spring Festival
        ("2026-02-14", True),  # Saturday, an adjusted working day
        ("2026-02-15", False),  # Sunday, first day off
        ("2026-02-16", False),  # Monday, Spring Festival
        ("2026-02-23", False),  # Monday, last day off
        ("2026-02-24", True),  # Tuesday, back at work
        ("2026-02-28", True),  # Saturday, an adjusted working day
        ("2026-09-20", True),  # Sunday, an adjusted working day
        ("2026-09-25", False),  # Friday, Mid-Autumn
        ("2026-10-01", False),  # Thursday, National Day
        ("2026-10-07", False),  # Wednesday, last day off
        ("2026-10-08", True),  # Thursday
        ("2026-10-10", True),  # Saturday, an adjusted working day
        ("2026-10-11", False),  # an ordinary Sunday
    ],
)
def test_the_2026_calendar(day: str, business: bool) -> None:
    assert CN.is_business_day(D(day)) is business
    assert WEEKENDS.is_business_day(D(day)) is (D(day).weekday() < 5)


def test_a_deals_own_days_override_the_base_calendar() -> None:
    own = BusinessCalendar(extra_holidays=(D("2026-03-02"),), extra_working_days=(D("2026-02-16"),))
    assert not own.is_business_day(D("2026-03-02"))  # an ordinary Monday the contract excludes
    assert own.is_business_day(D("2026-02-16"))  # a Spring Festival day the contract counts


def monthly_bullet(start: str, maturity: str, convention: BusinessDay, calendar: BusinessCalendar) -> LoanTerms:
    return LoanTerms(
        principal=100_000_000,  # 1,000,000.00 CNY
        annual_rate=Decimal("0.0360"),
        start=D(start),
        maturity=D(maturity),
        schedule=ScheduleKind.BULLET,
        frequency=Frequency.MONTHLY,
        day_count=DayCount.ACT_360,
        business_day=convention,
        calendar=calendar,
    )


def test_a_schedule_across_national_day_moves_to_the_first_working_day() -> None:
    # Monthly from 1 Aug 2026: period ends 1 Sep, 1 Oct, 1 Nov (maturity). 1 Oct is National Day; the
    # first working day after it is Thursday 8 Oct (1-7 Oct off), in the same month, so modified
    # following gives 8 Oct. 1 Nov 2026 is a Sunday: Monday 2 Nov.
    loan = monthly_bullet("2026-08-01", "2026-11-01", BusinessDay.MODIFIED_FOLLOWING, CN)
    periods = build_schedule(loan)
    assert [p.payment_date for p in periods] == [D("2026-09-01"), D("2026-10-08"), D("2026-11-02")]
    # Interest runs between adjusted dates: 1 Sep → 8 Oct is 37 days; 1,000,000 × 3.6% × 37 / 360 = 3,700.00.
    assert periods[1].days == 37
    assert periods[1].interest == 370_000
    # 8 Oct → 2 Nov is 25 days: 1,000,000 × 3.6% × 25 / 360 = 2,500.00.
    assert (periods[2].days, periods[2].interest) == (25, 250_000)
    assert not any(p.provisional for p in periods)
    # Weekends only would have paid on Thursday 1 Oct, a public holiday.
    assert build_schedule(replace(loan, calendar=WEEKENDS))[1].payment_date == D("2026-10-01")


def test_a_schedule_across_the_spring_festival() -> None:
    # Monthly from 16 Jan 2026: ends 16 Feb (Spring Festival, Monday), 16 Mar (maturity, Monday).
    # Following: the first working day after 15-23 Feb off is Tuesday 24 Feb.
    loan = monthly_bullet("2026-01-16", "2026-03-16", BusinessDay.FOLLOWING, CN)
    assert [p.payment_date for p in build_schedule(loan)] == [D("2026-02-24"), D("2026-03-16")]
    # Preceding: Saturday 14 Feb is a working day (调休), so the payment moves back only two days.
    preceding = monthly_bullet("2026-01-16", "2026-03-16", BusinessDay.PRECEDING, CN)
    assert [p.payment_date for p in build_schedule(preceding)] == [D("2026-02-14"), D("2026-03-16")]
    # A period ending on Saturday 28 Feb (a working day) is not moved at all.
    assert adjust(D("2026-02-28"), BusinessDay.FOLLOWING, CN) == D("2026-02-28")
    assert adjust(D("2026-02-28"), BusinessDay.FOLLOWING, WEEKENDS) == D("2026-03-02")


def test_modified_following_stays_in_the_month_at_a_month_end_holiday() -> None:
    # 2025 Dragon Boat Festival (the State Council notice on the 2025 holidays): Saturday 31 May to
    # Monday 2 June off. Following from 31 May is Tuesday 3 June, in the next month, so modified
    # following goes back to Friday 30 May.
    assert adjust(D("2025-05-31"), BusinessDay.FOLLOWING, CN) == D("2025-06-03")
    assert adjust(D("2025-05-31"), BusinessDay.MODIFIED_FOLLOWING, CN) == D("2025-05-30")
    # Mid-Autumn 2026 ends on Sunday 27 Sep; the next working day, Monday 28 Sep, is in the same month.
    assert adjust(D("2026-09-27"), BusinessDay.MODIFIED_FOLLOWING, CN) == D("2026-09-28")


def test_a_year_the_calendar_does_not_know_is_provisional_not_guessed() -> None:
    first, last = covered_years()
    assert first <= 2026 <= last
    year = last + 1
    loan = monthly_bullet(f"{last}-11-15", f"{year}-02-15", BusinessDay.MODIFIED_FOLLOWING, CN)
    periods = build_schedule(loan)
    assert [p.provisional for p in periods] == [False, True, True]
    assert provisional_payments(loan) == [
        (D(f"{year}-01-15"), periods[1].payment_date),
        (D(f"{year}-02-15"), periods[2].payment_date),
    ]
    # Accrual itself is arithmetic; deals.steps refuses to post past a provisional date (integration test).
    start = D(f"{last}-11-15")
    state, _ = accrue(AccrualState(start, start), D(f"{last}-12-15"), 100_000_000, loan, Subsidy())
    assert state.accrued_to == D(f"{last}-12-15")
    # The deal's own calendar fixes what the contract names, and a weekends-only deal is never provisional.
    weekends = monthly_bullet(f"{last}-11-15", f"{year}-02-15", BusinessDay.MODIFIED_FOLLOWING, WEEKENDS)
    assert not any(p.provisional for p in build_schedule(weekends))
