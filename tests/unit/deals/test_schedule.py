"""Repayment schedules against figures worked out by hand (money in fen: 1.00 CNY = 100)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from deals.calendar import BusinessCalendar, CalendarKind
from deals.schedule import (
    BusinessDay,
    DayCount,
    Frequency,
    LoanTerms,
    ScheduleKind,
    Subsidy,
    SubsidyKind,
    adjust,
    build_schedule,
    interest_for,
    level_payment,
    period_end_dates,
    totals,
)

D = dt.date.fromisoformat
WEEKENDS = BusinessCalendar(CalendarKind.WEEKENDS_ONLY)


def fen(value: Decimal) -> int:
    """Half-up to the fen, the rounding a bank clerk would apply."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def loan(**overrides: object) -> LoanTerms:
    base: dict[str, object] = {
        "principal": 100_000_000,  # 1,000,000.00 CNY
        "annual_rate": Decimal("0.0435"),
        "start": D("2025-04-01"),
        "maturity": D("2025-09-01"),
        "schedule": ScheduleKind.BULLET,
        "frequency": Frequency.MONTHLY,
        "day_count": DayCount.ACT_360,
        "business_day": BusinessDay.UNADJUSTED,
    }
    base.update(overrides)
    return LoanTerms(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- equal instalment (等额本息)


def test_equal_instalment_payment_is_the_annuity() -> None:
    # 120,000.00 CNY at 6% a year over 12 months: i = 0.06 / 12 = 0.005,
    # A = P·i / (1 - (1 + i)^-12) = 12,000,000 fen × 0.005 / (1 - 1.005^-12) = 1,032,797.16 fen → 10,327.97 CNY.
    i = Decimal("0.06") / 12
    annuity = Decimal(12_000_000) * i / (1 - (1 + i) ** -12)
    assert fen(annuity) == 1_032_797
    assert level_payment(12_000_000, Decimal("0.06"), 12, 1) == 1_032_797
    # Quarterly: i = 0.015 over 4 quarters: 12,000,000 × 0.015 / (1 - 1.015^-4) = 180,000 / 0.0578164 = 3,113,337.4 fen.
    q = Decimal("0.015")
    assert level_payment(12_000_000, Decimal("0.06"), 4, 3) == fen(Decimal(12_000_000) * q / (1 - (1 + q) ** -4))
    assert level_payment(12_000_000, Decimal("0.06"), 4, 3) == 3_113_337
    # At a zero rate the payment is principal / n.
    assert level_payment(12_000_000, Decimal(0), 12, 1) == 1_000_000


def test_equal_instalment_schedule_principal_is_payment_less_day_count_interest() -> None:
    terms = loan(
        principal=12_000_000,
        annual_rate=Decimal("0.06"),
        start=D("2025-01-06"),
        maturity=D("2026-01-06"),
        schedule=ScheduleKind.EQUAL_INSTALMENT,
    )
    periods = build_schedule(terms)
    assert len(periods) == 12
    first, second, last = periods[0], periods[1], periods[-1]
    # Period 1: 6 Jan → 6 Feb 2025, 31 days; 12,000,000 × 0.06 × 31 / 360 = 62,000 fen.
    assert (first.accrual_start, first.accrual_end, first.days) == (D("2025-01-06"), D("2025-02-06"), 31)
    assert first.interest == 62_000
    assert first.principal == 1_032_797 - 62_000 == 970_797
    # Period 2: 6 Feb → 6 Mar, 28 days on 11,029,203 fen: 11,029,203 × 0.06 × 28 / 360 = 51,469.61 → 51,470.
    assert second.opening_principal == 11_029_203
    assert second.days == 28
    assert second.interest == fen(Decimal(11_029_203) * Decimal("0.06") * 28 / 360) == 51_470
    assert second.principal == 1_032_797 - 51_470
    # The last period clears the rest, whatever the day counts did to it.
    assert last.closing_principal == 0
    assert sum(p.principal for p in periods) == 12_000_000
    assert last.accrual_end == D("2026-01-06")


# ---------------------------------------------------------------- day counts


def test_act_360_and_act_365f_on_given_dates() -> None:
    # 2 Jan → 2 Apr 2025 is 29 + 28 + 31 + 2 = 90 days... counted: Jan 2→Feb 2 31, →Mar 2 28, →Apr 2 31 = 90.
    start, end = D("2025-01-02"), D("2025-04-02")
    assert (end - start).days == 90
    # 1,000,000.00 CNY at 4.35%: ACT/360 → 100,000,000 × 0.0435 × 90 / 360 = 1,087,500 fen = 10,875.00 CNY.
    assert interest_for(100_000_000, Decimal("0.0435"), 90, DayCount.ACT_360) == 1_087_500
    # ACT/365F → 100,000,000 × 0.0435 × 90 / 365 = 1,072,602.74 → 1,072,603 fen.
    assert interest_for(100_000_000, Decimal("0.0435"), 90, DayCount.ACT_365F) == 1_072_603
    for day_count, expected in ((DayCount.ACT_360, 1_087_500), (DayCount.ACT_365F, 1_072_603)):
        terms = loan(start=start, maturity=end, frequency=Frequency.QUARTERLY, day_count=day_count)
        (period,) = build_schedule(terms)
        assert (period.days, period.interest, period.principal) == (90, expected, 100_000_000)


def test_interest_rounds_half_up_once_per_period() -> None:
    # 1,000.00 CNY at 4.5% for 1 day ACT/360: 100,000 × 0.045 / 360 = 12.5 fen → 13.
    assert interest_for(100_000, Decimal("0.045"), 1, DayCount.ACT_360) == 13
    # 0.0445: 12.361 → 12.
    assert interest_for(100_000, Decimal("0.0445"), 1, DayCount.ACT_360) == 12


# ---------------------------------------------------------------- dates


def test_end_of_month_rolling_from_31_january() -> None:
    terms = loan(start=D("2025-01-31"), maturity=D("2025-04-30"))
    assert period_end_dates(terms) == [D("2025-02-28"), D("2025-03-31"), D("2025-04-30")]
    leap = loan(start=D("2024-01-31"), maturity=D("2024-04-30"))
    assert period_end_dates(leap) == [D("2024-02-29"), D("2024-03-31"), D("2024-04-30")]
    # Dates are counted from the start, never chained: 31 Mar, not 28 Mar after a 28 Feb.
    days = [p.days for p in build_schedule(terms)]
    assert days == [28, 31, 30]


def test_end_of_month_flag_keeps_a_month_end_start_on_month_ends() -> None:
    with_flag = loan(start=D("2025-04-30"), maturity=D("2025-07-31"), end_of_month=True)
    assert period_end_dates(with_flag) == [D("2025-05-31"), D("2025-06-30"), D("2025-07-31")]
    without = loan(start=D("2025-04-30"), maturity=D("2025-07-31"))
    assert period_end_dates(without) == [D("2025-05-30"), D("2025-06-30"), D("2025-07-30"), D("2025-07-31")]
    # The flag means nothing for a start that is not a month end.
    mid = loan(start=D("2025-04-15"), maturity=D("2025-06-15"), end_of_month=True)
    assert period_end_dates(mid) == [D("2025-05-15"), D("2025-06-15")]


def test_a_short_final_stub_ends_at_maturity() -> None:
    terms = loan(start=D("2025-01-15"), maturity=D("2025-03-01"))
    assert period_end_dates(terms) == [D("2025-02-15"), D("2025-03-01")]


# ---------------------------------------------------------------- business days


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        (BusinessDay.UNADJUSTED, "2025-08-02"),
        (BusinessDay.FOLLOWING, "2025-08-04"),  # Saturday 2 Aug → Monday 4 Aug
        (BusinessDay.MODIFIED_FOLLOWING, "2025-08-04"),  # same month, so as following
        (BusinessDay.PRECEDING, "2025-08-01"),  # → Friday 1 Aug
    ],
)
def test_a_saturday_mid_month(convention: BusinessDay, expected: str) -> None:
    assert D("2025-08-02").weekday() == 5
    assert adjust(D("2025-08-02"), convention, WEEKENDS) == D(expected)


@pytest.mark.parametrize(
    ("convention", "expected"),
    [
        (BusinessDay.FOLLOWING, "2025-06-02"),  # Saturday 31 May → Monday 2 June
        (BusinessDay.MODIFIED_FOLLOWING, "2025-05-30"),  # Monday is in June: back to Friday 30 May
        (BusinessDay.PRECEDING, "2025-05-30"),
    ],
)
def test_a_saturday_at_month_end(convention: BusinessDay, expected: str) -> None:
    assert D("2025-05-31").weekday() == 5
    assert adjust(D("2025-05-31"), convention, WEEKENDS) == D(expected)
    assert adjust(D("2025-06-01"), convention, WEEKENDS) in (D("2025-06-02"), D("2025-05-30"))  # a Sunday


def test_interest_runs_between_adjusted_dates() -> None:
    # 2 Jun → 2 Jul (Wed) → 2 Aug (Sat) → 2 Sep (Tue) 2025, 300,000.00 CNY equal principal at 5%, ACT/365F.
    terms = loan(
        principal=30_000_000,
        annual_rate=Decimal("0.05"),
        start=D("2025-06-02"),
        maturity=D("2025-09-02"),
        schedule=ScheduleKind.EQUAL_PRINCIPAL,
        day_count=DayCount.ACT_365F,
        business_day=BusinessDay.MODIFIED_FOLLOWING,
    )
    periods = build_schedule(terms)
    assert [p.payment_date for p in periods] == [D("2025-07-02"), D("2025-08-04"), D("2025-09-02")]
    assert [p.days for p in periods] == [30, 33, 29]
    # 30,000,000 × 0.05 × 30/365 = 123,287.67 → 123,288; 20,000,000 × 0.05 × 33/365 = 90,410.96 → 90,411;
    # 10,000,000 × 0.05 × 29/365 = 39,726.03 → 39,726.
    assert [p.interest for p in periods] == [123_288, 90_411, 39_726]
    assert [p.principal for p in periods] == [10_000_000, 10_000_000, 10_000_000]
    assert [p.borrower_payment for p in periods] == [10_123_288, 10_090_411, 10_039_726]


# ---------------------------------------------------------------- equal principal and bullet


def test_equal_principal_puts_the_fen_remainder_in_the_last_period() -> None:
    # 100,000.01 CNY = 10,000,001 fen over 3 months: 3,333,333 + 3,333,333 + 3,333,335.
    terms = loan(principal=10_000_001, start=D("2025-04-01"), maturity=D("2025-07-01"))
    terms = loan(**{**_fields(terms), "schedule": ScheduleKind.EQUAL_PRINCIPAL})
    periods = build_schedule(terms)
    assert [p.principal for p in periods] == [3_333_333, 3_333_333, 3_333_335]
    assert [p.opening_principal for p in periods] == [10_000_001, 6_666_668, 3_333_335]
    assert periods[-1].closing_principal == 0


def test_bullet_repays_everything_at_maturity() -> None:
    periods = build_schedule(loan())
    assert [p.principal for p in periods] == [0, 0, 0, 0, 100_000_000]
    # Apr 30 d, May 31, Jun 30, Jul 31, Aug 31 days: 362,500 / 374,583.33 → 374,583 fen.
    assert [p.interest for p in periods] == [362_500, 374_583, 362_500, 374_583, 374_583]
    assert totals(periods)["interest"] == 362_500 * 2 + 374_583 * 3


# ---------------------------------------------------------------- subsidy (贴息)


def test_rate_points_subsidy() -> None:
    # Jiaxing: 4.35% loan, 3.65 pp subsidised. 1,000,000.00 CNY for 30 days ACT/360:
    # interest 100,000,000 × 0.0435 × 30/360 = 362,500; subsidy 100,000,000 × 0.0365 × 30/360 = 304,166.67
    # → 304,167; the borrower pays 362,500 - 304,167 = 58,333 fen.
    subsidy = Subsidy(kind=SubsidyKind.RATE_POINTS, rate_points=Decimal("0.0365"))
    first = build_schedule(loan(), subsidy)[0]
    assert (first.interest, first.subsidy, first.borrower_interest) == (362_500, 304_167, 58_333)
    # Rate points above the loan rate never pay more than the interest.
    generous = Subsidy(kind=SubsidyKind.RATE_POINTS, rate_points=Decimal("0.05"))
    assert build_schedule(loan(), generous)[0].borrower_interest == 0


def test_interest_share_subsidy_with_a_cap() -> None:
    # 40% of the interest, capped at 5,000.00 CNY (500,000 fen) for the deal:
    # interest 362,500 / 374,583 / 362,500 / 374,583 / 374,583; 40%: 145,000 / 149,833.2 → 149,833 / 145,000;
    # cumulative 439,833 after three periods, so the fourth gets 500,000 - 439,833 = 60,167, the fifth 0.
    subsidy = Subsidy(kind=SubsidyKind.INTEREST_SHARE, share=Decimal("0.40"), cap=500_000)
    periods = build_schedule(loan(), subsidy)
    assert [p.subsidy for p in periods] == [145_000, 149_833, 145_000, 60_167, 0]
    assert [p.borrower_interest for p in periods] == [217_500, 224_750, 217_500, 314_416, 374_583]
    assert totals(periods)["subsidy"] == 500_000
    # Without a cap every period gets its 40%.
    uncapped = build_schedule(loan(), Subsidy(kind=SubsidyKind.INTEREST_SHARE, share=Decimal("0.40")))
    assert [p.subsidy for p in uncapped] == [145_000, 149_833, 145_000, 149_833, 149_833]


def _fields(terms: LoanTerms) -> dict[str, object]:
    return {name: getattr(terms, name) for name in LoanTerms.__dataclass_fields__}
