"""Interest accrual between events, consistent with the schedule to the fen.

Interest is accrued in segments: a segment runs while the principal is constant and within one schedule
period. Inside a segment the accrued interest to a date is recomputed from the segment's start and
rounded once (principal × rate × days / basis), and each accrual posts only the difference from what the
segment already accrued. So accruing daily, monthly or once per period gives the same total, and a
period accrued to its payment date carries exactly the schedule's interest for that period.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, replace

from deals.schedule import LoanTerms, Subsidy, SubsidyKind, adjust, interest_for, period_end_dates, round_fen


@dataclass(frozen=True, slots=True)
class AccrualState:
    """Where a deal's accrual stands. Money in fen."""

    accrued_to: dt.date
    segment_start: dt.date
    segment_interest: int = 0
    segment_subsidy: int = 0
    subsidy_before_segment: int = 0
    period_borrower_interest: int = 0  # borrower interest accrued in the current schedule period


@dataclass(frozen=True, slots=True)
class Accrued:
    """What one accrual adds: total interest and the part the subsidy fund owes."""

    interest: int
    subsidy: int

    @property
    def borrower(self) -> int:
        return self.interest - self.subsidy


def payment_dates(loan: LoanTerms) -> list[dt.date]:
    return list(_payment_dates(loan))


@functools.lru_cache(maxsize=1 << 14)
def _payment_dates(loan: LoanTerms) -> tuple[dt.date, ...]:
    """A loan's adjusted payment dates, remembered per (immutable) loan: every accrual and every arrears
    replay needs them, and working them out walks the holiday calendar for each period."""
    return tuple(adjust(end, loan.business_day, loan.calendar) for end in period_end_dates(loan))


def accrue(
    state: AccrualState, to: dt.date, principal: int, loan: LoanTerms, subsidy: Subsidy
) -> tuple[AccrualState, Accrued]:
    """Accrue from `state.accrued_to` to `to` on a constant `principal`; returns the new state and amounts.

    A segment ends at every payment date; the period counter (for the overdue/current split of a
    repayment) restarts when accrual moves past a payment date, so on the payment date itself the
    period's interest still counts as current, not overdue.
    """
    if to <= state.accrued_to:
        return state, Accrued(0, 0)
    due = set(payment_dates(loan))
    if state.accrued_to in due:
        state = replace(state, period_borrower_interest=0)
    total_interest = 0
    total_subsidy = 0
    for stop in [*sorted(d for d in due if state.accrued_to < d < to), to]:
        state, step = _accrue_in_segment(state, stop, principal, loan, subsidy)
        total_interest += step.interest
        total_subsidy += step.subsidy
        if stop in due:
            state = start_segment(state, stop)
            if stop != to:
                state = replace(state, period_borrower_interest=0)
    return state, Accrued(total_interest, total_subsidy)


def start_segment(state: AccrualState, day: dt.date) -> AccrualState:
    """Close the current segment at `day` (a payment date or a principal change) and open the next."""
    return replace(
        state,
        accrued_to=day,
        segment_start=day,
        segment_interest=0,
        segment_subsidy=0,
        subsidy_before_segment=state.subsidy_before_segment + state.segment_subsidy,
    )


def _accrue_in_segment(
    state: AccrualState, stop: dt.date, principal: int, loan: LoanTerms, subsidy: Subsidy
) -> tuple[AccrualState, Accrued]:
    days = (stop - state.segment_start).days
    interest_to_date = interest_for(principal, loan.annual_rate, days, loan.day_count)
    subsidy_to_date = _subsidy_to_date(subsidy, principal, interest_to_date, days, loan, state.subsidy_before_segment)
    interest = interest_to_date - state.segment_interest
    subsidy_amount = subsidy_to_date - state.segment_subsidy
    new_state = replace(
        state,
        accrued_to=stop,
        segment_interest=interest_to_date,
        segment_subsidy=subsidy_to_date,
        period_borrower_interest=state.period_borrower_interest + interest - subsidy_amount,
    )
    return new_state, Accrued(interest, subsidy_amount)


def _subsidy_to_date(
    subsidy: Subsidy, principal: int, interest: int, days: int, loan: LoanTerms, before_segment: int
) -> int:
    if subsidy.kind is SubsidyKind.RATE_POINTS:
        amount = min(interest, interest_for(principal, subsidy.rate_points, days, loan.day_count))
    elif subsidy.kind is SubsidyKind.INTEREST_SHARE:
        amount = round_fen(interest * subsidy.share)
    else:
        return 0
    if subsidy.cap is not None:
        amount = min(amount, max(subsidy.cap - before_segment, 0))
    return amount
