"""Days past due (逾期天数) of a loan as of any date, from its schedule and the borrower's payments.

The rule (docs/credit.md, "Days past due"):
- Each schedule period falls due on its payment date (already moved off non-business days by the
  deal's calendar) for its contractual principal plus the borrower's share of the interest that period
  actually carried. The interest is replayed with the same segment arithmetic that accrual posts
  (deals.accrual), so prepayments that lowered the principal lower the interest due too.
- The borrower's payments as of a date, taken together, cover the dues oldest first (money is
  fungible: a payment is not tied to the instalment it was meant for).
- Days past due as of D = D − the payment date of the oldest instalment not fully covered by the
  payments dated on or before D, in calendar days; 0 if that instalment is not due yet (or everything
  due is covered). On the payment date itself a loan is 0 days past due.
- Interest accrued after maturity is not an instalment of its own: the unpaid maturity instalment
  already makes the loan past due from maturity on.

Everything here is pure: it reads a deal's terms and its dated steps, never the database.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deals.accrual import AccrualState, accrue, payment_dates, start_segment
from deals.schedule import LoanTerms, build_schedule
from deals.terms import DealTerms

__all__ = ["ArrearsBook", "Due", "Payment", "days_past_due", "dues_of"]


@dataclass(frozen=True, slots=True)
class Due:
    """One instalment: what the borrower owes on `on` (fen), principal and interest."""

    on: dt.date
    principal: int
    interest: int

    @property
    def amount(self) -> int:
        return self.principal + self.interest


@dataclass(frozen=True, slots=True)
class Payment:
    """What the borrower paid on a day (fen), and of that how much reduced principal."""

    on: dt.date
    amount: int
    principal: int


def dues_of(
    terms: DealTerms, disbursed_on: dt.date, payments: Sequence[Payment], *, until: dt.date | None = None
) -> list[Due]:
    """The instalments of a disbursed loan: contractual principal, and the borrower interest each period
    actually carried given the principal repaid by `payments` (replayed with deals.accrual).

    With `until`, only the instalments due on or before it: days past due, the non-accrual start and the
    cure window as of any date up to `until` are the same with or without the later ones (a later
    instalment is never past due then, and one that is covered in advance only adds to what is covered),
    and a month-end run need not replay a loan's remaining years."""
    loan, subsidy = terms.loan, terms.subsidy
    principals = scheduled_principal(loan)
    due_dates = payment_dates(loan)
    if until is not None:
        due_dates = [d for d in due_dates if d <= until]
        if not due_dates:
            return []
    changes = sorted((p.on, p.principal) for p in payments if p.principal)
    boundaries = sorted({*due_dates, *(day for day, _ in changes)})
    state = AccrualState(accrued_to=disbursed_on, segment_start=disbursed_on)
    principal = loan.principal
    interest = [0] * len(due_dates)
    repaid_on: dict[dt.date, int] = {}
    for day, amount in changes:
        repaid_on[day] = repaid_on.get(day, 0) + amount
    for boundary in boundaries:
        if boundary > due_dates[-1]:
            break  # after maturity (or `until`): no instalment of its own (module docstring)
        if boundary > disbursed_on:
            state, accrued = accrue(state, boundary, principal, loan, subsidy)
            interest[bisect.bisect_left(due_dates, boundary)] += accrued.borrower
        if boundary in repaid_on and boundary >= disbursed_on:
            principal -= repaid_on[boundary]
            state = start_segment(state, max(boundary, state.accrued_to))
    return [Due(on, principals[k], interest[k]) for k, on in enumerate(due_dates)]


@functools.lru_cache(maxsize=1 << 14)
def scheduled_principal(loan: LoanTerms) -> tuple[int, ...]:
    """Each period's contractual principal, as `build_schedule` gives it, without building the rest of the
    schedule (its subsidy, provisional flags and period records): the arrears of every deal in a month-end
    run need only this (tests/unit/test_arrears_fast.py checks it against build_schedule)."""
    return tuple(period.principal for period in build_schedule(loan))


def days_past_due(dues: Sequence[Due], payments: Iterable[Payment], as_of: dt.date) -> int:
    """Days past due as of `as_of` (module docstring)."""
    paid = sum(p.amount for p in payments if p.on <= as_of)
    covered = 0
    for due in dues:
        covered += due.amount
        if covered > paid:
            return max((as_of - due.on).days, 0)
    return 0


class ArrearsBook:
    """A deal's dues and payments, to ask days past due for many dates cheaply."""

    def __init__(self, dues: Sequence[Due], payments: Sequence[Payment]) -> None:
        self.dues = list(dues)
        self.payments = sorted(payments, key=lambda p: p.on)
        self._days = [p.on for p in self.payments]
        self._cumulative: list[int] = []
        total = 0
        for p in self.payments:
            total += p.amount
            self._cumulative.append(total)

    def paid_through(self, as_of: dt.date) -> int:
        index = bisect.bisect_right(self._days, as_of)
        return self._cumulative[index - 1] if index else 0

    def days_past_due(self, as_of: dt.date) -> int:
        paid = self.paid_through(as_of)
        covered = 0
        for due in self.dues:
            covered += due.amount
            if covered > paid:
                return max((as_of - due.on).days, 0)
        return 0

    def non_accrual_from(self, start: dt.date, end: dt.date, threshold: int) -> dt.date | None:
        """The first day in [start, end) on which the loan is more than `threshold` days past due, given the
        payments dated on or before `start` (no payment falls inside an accrual range: a step accrues up to
        its own date before it records a payment). None if there is none."""
        paid = self.paid_through(start)
        covered = 0
        for due in self.dues:
            covered += due.amount
            if covered > paid:
                first = max(due.on + dt.timedelta(days=threshold + 1), start)
                return first if first < end else None
        return None

    def worst_over(self, first: dt.date, last: dt.date) -> int:
        """The most days past due on any day from `first` to `last`: days past due only fall on a payment
        day, so the worst is on `last` or on the eve of a payment inside the window."""
        candidates = [last, *(p.on - dt.timedelta(days=1) for p in self.payments if first < p.on <= last)]
        return max(self.days_past_due(day) for day in candidates if day >= first)
