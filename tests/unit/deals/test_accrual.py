"""Accrual in segments: daily, monthly or one accrual per period all land on the schedule's interest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deals.accrual import AccrualState, accrue, start_segment
from deals.schedule import (
    BusinessDay,
    DayCount,
    Frequency,
    LoanTerms,
    ScheduleKind,
    Subsidy,
    SubsidyKind,
    build_schedule,
)

D = dt.date.fromisoformat

LOAN = LoanTerms(
    principal=30_000_000,  # 300,000.00 CNY
    annual_rate=Decimal("0.05"),
    start=D("2025-06-02"),
    maturity=D("2025-09-02"),
    schedule=ScheduleKind.EQUAL_PRINCIPAL,
    frequency=Frequency.MONTHLY,
    day_count=DayCount.ACT_365F,
    business_day=BusinessDay.MODIFIED_FOLLOWING,
)
RATE_POINTS = Subsidy(kind=SubsidyKind.RATE_POINTS, rate_points=Decimal("0.03"))
SHARE_CAPPED = Subsidy(kind=SubsidyKind.INTEREST_SHARE, share=Decimal("0.40"), cap=80_000)


def _every_day(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range(1, (end - start).days + 1)]


def _month_ends_then(start: dt.date, end: dt.date) -> list[dt.date]:
    ends = [d for d in _every_day(start, end) if (d + dt.timedelta(days=1)).day == 1]
    return [*ends, end] if not ends or ends[-1] != end else ends


def _run(schedule_dates: str, subsidy: Subsidy) -> list[tuple[int, int]]:
    """Accrue the whole loan on the given cadence; per period (interest, subsidy) accrued."""
    periods = build_schedule(LOAN, subsidy)
    state = AccrualState(accrued_to=LOAN.start, segment_start=LOAN.start)
    found = []
    for period in periods:
        if schedule_dates == "daily":
            stops = _every_day(period.accrual_start, period.payment_date)
        elif schedule_dates == "monthly":
            stops = _month_ends_then(period.accrual_start, period.payment_date)
        else:
            stops = [period.payment_date]
        interest = subsidy_total = 0
        for stop in stops:
            state, step = accrue(state, stop, period.opening_principal, LOAN, subsidy)
            interest += step.interest
            subsidy_total += step.subsidy
        found.append((interest, subsidy_total))
    return found


@pytest.mark.parametrize("cadence", ["daily", "monthly", "once"])
@pytest.mark.parametrize("subsidy", [Subsidy(), RATE_POINTS, SHARE_CAPPED], ids=["none", "points", "share"])
def test_any_cadence_gives_the_schedule_interest_exactly(cadence: str, subsidy: Subsidy) -> None:
    periods = build_schedule(LOAN, subsidy)
    assert _run(cadence, subsidy) == [(p.interest, p.subsidy) for p in periods]


def test_the_figures_by_hand() -> None:
    # Interest 123,288 / 90,411 / 39,726 fen (see test_schedule). Rate points 3% on the same bases:
    # 30,000,000 × 0.03 × 30/365 = 73,972.60 → 73,973; 20,000,000 × 0.03 × 33/365 = 54,246.58 → 54,247;
    # 10,000,000 × 0.03 × 29/365 = 23,835.62 → 23,836.
    assert _run("daily", RATE_POINTS) == [(123_288, 73_973), (90_411, 54_247), (39_726, 23_836)]
    # 40% share capped at 800.00 CNY: 49,315.2 → 49,315; 36,164.4 → 36,164 but only 80,000 - 49,315 = 30,685
    # is left under the cap; then nothing.
    assert _run("daily", SHARE_CAPPED) == [(123_288, 49_315), (90_411, 30_685), (39_726, 0)]


def test_daily_steps_differ_but_sum_to_the_period() -> None:
    # 300,000.00 at 5% ACT/365F is 41.0959 CNY a day (4,109.59 fen). Each day's accrual is recomputed from the
    # segment start and rounded once: 4,109.59 → 4,110; 8,219.18 → 8,219, so 8,219 - 4,110 = 4,109;
    # 12,328.77 → 12,329, so 12,329 - 8,219 = 4,110. Rounding each day alone would give 3 × 4,110 = 12,330.
    state = AccrualState(accrued_to=LOAN.start, segment_start=LOAN.start)
    steps = []
    for day in _every_day(LOAN.start, D("2025-06-05")):
        state, step = accrue(state, day, 30_000_000, LOAN, Subsidy())
        steps.append(step.interest)
    assert steps == [4_110, 4_109, 4_110]
    assert sum(steps) == 12_329


def test_accruing_to_the_same_date_again_adds_nothing() -> None:
    state = AccrualState(accrued_to=LOAN.start, segment_start=LOAN.start)
    state, first = accrue(state, D("2025-06-20"), 30_000_000, LOAN, Subsidy())
    again, second = accrue(state, D("2025-06-20"), 30_000_000, LOAN, Subsidy())
    earlier, third = accrue(state, D("2025-06-10"), 30_000_000, LOAN, Subsidy())
    # 18 days: 30,000,000 × 0.05 × 18 / 365 = 73,972.60 → 73,973.
    assert first.interest == 73_973
    assert (second.interest, third.interest) == (0, 0)
    assert again == state == earlier


def test_a_prepayment_starts_a_new_segment() -> None:
    # 18 days on 300,000.00 (73,973 fen), then 100,000.00 prepaid on 20 June: 12 more days to 2 July on
    # 200,000.00 = 20,000,000 × 0.05 × 12 / 365 = 32,876.71 → 32,877.
    state = AccrualState(accrued_to=LOAN.start, segment_start=LOAN.start)
    state, first = accrue(state, D("2025-06-20"), 30_000_000, LOAN, Subsidy())
    state = start_segment(state, D("2025-06-20"))
    state, second = accrue(state, D("2025-07-02"), 20_000_000, LOAN, Subsidy())
    assert (first.interest, second.interest) == (73_973, 32_877)


def test_accrual_past_a_payment_date_splits_at_it() -> None:
    # One call from 2 June to 10 July crosses the 2 July payment date: 123,288 for the first period plus
    # 8 days of the next, 30,000,000 × 0.05 × 8 / 365 = 32,876.71 → 32,877 (principal unchanged here).
    state = AccrualState(accrued_to=LOAN.start, segment_start=LOAN.start)
    state, step = accrue(state, D("2025-07-10"), 30_000_000, LOAN, Subsidy())
    assert step.interest == 123_288 + 32_877
    assert state.segment_start == D("2025-07-02")
    assert state.period_borrower_interest == 32_877
