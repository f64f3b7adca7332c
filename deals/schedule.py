"""Loan repayment schedules: period dates, principal and interest per period, and who pays the interest.

Conventions (documented in docs/deals.md, each a per-deal term):
- Period end dates are counted from the start date, never chained (start + k months), so 31 Jan rolls to
  28/29 Feb and back to 31 Mar. With `end_of_month`, a start on a month's last day keeps every date on
  the last day. The last period always ends at maturity (a short final stub if the term is not a whole
  number of periods).
- Payment dates are the period end dates moved by the business-day convention off the deal's
  non-business days (deals.calendar: mainland China holidays and adjusted working days by default);
  interest accrues between adjusted dates, so the borrower is charged for the days the money is
  actually out. A payment date in a year the calendar does not know yet is `provisional`.
- Interest of a period = outstanding principal × annual rate × days / basis (ACT/360: basis 360, the RMB
  convention; ACT/365F: 365), rounded once per period to the fen, half up.
- Bullet: all principal at maturity. Equal principal (等额本金): principal ÷ n each period, the fen
  remainder in the last. Equal instalment (等额本息): a level payment A = P·i / (1 − (1+i)^−n) with
  i = annual rate × months per period / 12, rounded to the fen; each period's principal is A minus that
  period's day-count interest, and the last period clears whatever remains.
- Subsidy (贴息): rate points pay outstanding × points × days / basis (never more than the interest);
  an interest share pays that fraction of each period's interest until a cumulative cap is reached.
  The borrower pays the rest.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from deals.calendar import CN_MAINLAND, BusinessCalendar


class DayCount(enum.Enum):
    ACT_360 = "act_360"
    ACT_365F = "act_365f"

    @property
    def basis(self) -> int:
        return 360 if self is DayCount.ACT_360 else 365


class ScheduleKind(enum.Enum):
    BULLET = "bullet"
    EQUAL_PRINCIPAL = "equal_principal"
    EQUAL_INSTALMENT = "equal_instalment"


class Frequency(enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"

    @property
    def months(self) -> int:
        return 1 if self is Frequency.MONTHLY else 3


class BusinessDay(enum.Enum):
    UNADJUSTED = "unadjusted"
    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"
    PRECEDING = "preceding"


class SubsidyKind(enum.Enum):
    NONE = "none"
    RATE_POINTS = "rate_points"
    INTEREST_SHARE = "interest_share"


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """The loan: principal in fen, annual rate as a Decimal fraction (0.0435 = 4.35%), and conventions."""

    principal: int
    annual_rate: Decimal
    start: dt.date
    maturity: dt.date
    schedule: ScheduleKind = ScheduleKind.BULLET
    frequency: Frequency = Frequency.MONTHLY
    day_count: DayCount = DayCount.ACT_360
    business_day: BusinessDay = BusinessDay.MODIFIED_FOLLOWING
    end_of_month: bool = False
    calendar: BusinessCalendar = CN_MAINLAND


@dataclass(frozen=True, slots=True)
class Subsidy:
    """Interest subsidy: rate points (Decimal fraction) or a share of interest (fraction) up to a cap (fen)."""

    kind: SubsidyKind = SubsidyKind.NONE
    rate_points: Decimal = Decimal(0)
    share: Decimal = Decimal(0)
    cap: int | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """One schedule period; money in fen."""

    number: int
    accrual_start: dt.date
    accrual_end: dt.date
    payment_date: dt.date
    days: int
    opening_principal: int
    principal: int
    interest: int
    subsidy: int
    borrower_interest: int
    provisional: bool = False  # the payment date's year is not in the holiday calendar yet

    @property
    def closing_principal(self) -> int:
        return self.opening_principal - self.principal

    @property
    def borrower_payment(self) -> int:
        return self.principal + self.borrower_interest


def round_fen(value: Decimal) -> int:
    """Round a Decimal amount of fen to a whole fen, half up (the one rounding rule for interest)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def period_end_dates(terms: LoanTerms) -> list[dt.date]:
    """Unadjusted period end dates from the start, the last one being maturity."""
    step = terms.frequency.months
    eom = terms.end_of_month and (terms.start + dt.timedelta(days=1)).month != terms.start.month
    dates: list[dt.date] = []
    k = 1
    while True:
        shift = relativedelta(months=k * step, day=31) if eom else relativedelta(months=k * step)
        candidate = terms.start + shift
        if candidate >= terms.maturity:
            break
        dates.append(candidate)
        k += 1
    dates.append(terms.maturity)
    return dates


def adjust(day: dt.date, convention: BusinessDay, calendar: BusinessCalendar) -> dt.date:
    """Move a date off the calendar's non-business days by the convention."""
    if convention is BusinessDay.UNADJUSTED or calendar.is_business_day(day):
        return day
    forward = calendar.following(day)
    backward = calendar.preceding(day)
    if convention is BusinessDay.FOLLOWING:
        return forward
    if convention is BusinessDay.PRECEDING:
        return backward
    return forward if forward.month == day.month else backward


def provisional_payments(terms: LoanTerms) -> list[tuple[dt.date, dt.date]]:
    """(period end, payment date) of every payment date the calendar cannot fix yet (deals.calendar)."""
    return list(_provisional_payments(terms))


@functools.lru_cache(maxsize=1 << 14)
def _provisional_payments(terms: LoanTerms) -> tuple[tuple[dt.date, dt.date], ...]:
    """Remembered per (immutable) loan: every accrual asks, and the answer walks the calendar day by day.
    The installed calendar does not change while a process runs (an upgrade is a restart)."""
    pairs = ((end, adjust(end, terms.business_day, terms.calendar)) for end in period_end_dates(terms))
    return tuple((end, pay_on) for end, pay_on in pairs if not _known(end, pay_on, terms))


def _known(end: dt.date, pay_on: dt.date, terms: LoanTerms) -> bool:
    """Whether a payment date is certain: every day from the period end to the payment date is known."""
    first, last = min(end, pay_on), max(end, pay_on)
    if terms.business_day is BusinessDay.UNADJUSTED:
        return True
    return all(terms.calendar.knows(first + dt.timedelta(days=k)) for k in range((last - first).days + 1))


def interest_for(principal: int, rate: Decimal, days: int, day_count: DayCount) -> int:
    """Day-count interest in fen, rounded half up once."""
    return round_fen(Decimal(principal) * rate * days / day_count.basis)


def level_payment(principal: int, annual_rate: Decimal, periods: int, months_per_period: int) -> int:
    """The equal-instalment (annuity) payment in fen: P·i / (1 − (1+i)^−n), i = annual × months / 12."""
    if periods <= 0:
        raise ValueError("an annuity needs at least one period")
    i = annual_rate * months_per_period / 12
    if i == 0:
        return round_fen(Decimal(principal) / periods)
    return round_fen(Decimal(principal) * i / (1 - (1 + i) ** -periods))


def build_schedule(terms: LoanTerms, subsidy: Subsidy = Subsidy()) -> list[Period]:
    """The full schedule of a loan, with subsidy and borrower share per period."""
    ends = period_end_dates(terms)
    n = len(ends)
    payment = level_payment(terms.principal, terms.annual_rate, n, terms.frequency.months)
    outstanding = terms.principal
    subsidised = 0
    accrual_start = terms.start
    periods: list[Period] = []
    for number, end in enumerate(ends, start=1):
        pay_on = adjust(end, terms.business_day, terms.calendar)
        days = (pay_on - accrual_start).days
        interest = interest_for(outstanding, terms.annual_rate, days, terms.day_count)
        last = number == n
        if terms.schedule is ScheduleKind.BULLET:
            principal = outstanding if last else 0
        elif terms.schedule is ScheduleKind.EQUAL_PRINCIPAL:
            principal = outstanding if last else terms.principal // n
        else:
            principal = outstanding if last else min(outstanding, max(payment - interest, 0))
        subsidy_amount = _subsidy(subsidy, outstanding, interest, days, terms.day_count, subsidised)
        subsidised += subsidy_amount
        periods.append(
            Period(
                number=number,
                accrual_start=accrual_start,
                accrual_end=pay_on,
                payment_date=pay_on,
                days=days,
                opening_principal=outstanding,
                principal=principal,
                interest=interest,
                subsidy=subsidy_amount,
                borrower_interest=interest - subsidy_amount,
                provisional=not _known(end, pay_on, terms),
            )
        )
        outstanding -= principal
        accrual_start = pay_on
    return periods


def _subsidy(subsidy: Subsidy, outstanding: int, interest: int, days: int, day_count: DayCount, paid: int) -> int:
    if subsidy.kind is SubsidyKind.RATE_POINTS:
        amount = min(interest, interest_for(outstanding, subsidy.rate_points, days, day_count))
    elif subsidy.kind is SubsidyKind.INTEREST_SHARE:
        amount = round_fen(Decimal(interest) * subsidy.share)
    else:
        return 0
    if subsidy.cap is not None:
        amount = min(amount, max(subsidy.cap - paid, 0))
    return amount


def totals(periods: Sequence[Period]) -> dict[str, int]:
    """Sums over a schedule, for summaries and checks (principal always equals the loan)."""
    return {
        "principal": sum(p.principal for p in periods),
        "interest": sum(p.interest for p in periods),
        "subsidy": sum(p.subsidy for p in periods),
        "borrower_interest": sum(p.borrower_interest for p in periods),
    }
