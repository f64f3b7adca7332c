"""The performing loan's steps: disbursement, accrual (one deal or a whole branch), repayment and closing.

Each public method runs one step in a unit of work of its own (deals.step_runner); `steps_many` runs
many of them in one, for loading a portfolio's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from deals import accounting, branch_accrual
from deals.accrual import AccrualState, start_segment
from deals.agreements.reach import reach_for_caller
from deals.branch_accrual import BranchAccrual
from deals.credit.arrears import Payment
from deals.model import BOOK_MANY_LIMIT, DealStatus, StepResult, yuan
from deals.step_runner import StepRunner
from deals.steps import StepContext, StepPlan
from ledger import names
from ledger.errors import FailedPrecondition, InvalidArgument, NotFound, PreconditionViolation, ViolationCollector
from ledger.session import LedgerSession
from ledger.validation import check_request_id, check_value_date


@dataclass(frozen=True, slots=True)
class StepCall:
    """One step for `DealDesk.steps_many`: kind "disbursed" (value_date None: the loan's start), "repaid"
    (amount in fen on value_date) or "accrued" (through value_date)."""

    kind: str
    request_id: str
    name: str
    value_date: dt.date | None
    amount: int = 0


class LoanSteps(StepRunner):
    """Runs a performing loan's steps (part of `deals.desk.DealDesk`)."""

    def steps_many(self, calls: Sequence[StepCall]) -> int:
        """Run up to `BOOK_MANY_LIMIT` disbursements, repayments and accruals in one unit of work, all or
        nothing, in the order given; returns how many ran (replays included).

        For loading a portfolio's history (a migration, the month-end benchmark's 100,000 deals): each step
        is exactly the step its own RPC runs (the same checks, postings, events and request ids), only the
        commit is shared, as `book_many` does for bookings. A refused step refuses the whole batch.
        """
        if not calls or len(calls) > BOOK_MANY_LIMIT:
            raise InvalidArgument.one("calls", f"must hold 1 to {BOOK_MANY_LIMIT} steps, got {len(calls)}")
        plans = []
        for call in calls:
            if call.kind == "disbursed":
                plans.append(self._disburse_plan(call.request_id, call.name, call.value_date))
            elif call.kind == "repaid" and call.value_date is not None:
                plans.append(self._repay_plan(call.request_id, call.name, call.amount, call.value_date))
            elif call.kind == "accrued" and call.value_date is not None:
                plans.append(self._accrue_plan(call.request_id, call.name, call.value_date))
            else:
                raise InvalidArgument.one("kind", f"{call.kind!r} with {call.value_date}: not a step steps_many runs")

        def work(session: LedgerSession) -> int:
            for plan in plans:
                self._run(session, plan)
            return len(plans)

        return self._ledger.write(work, what="deal steps")

    def disburse(self, *, request_id: str, name: str, value_date: dt.date | None) -> StepResult:
        return self._execute(self._disburse_plan(request_id, name, value_date))

    def _disburse_plan(self, request_id: str, name: str, value_date: dt.date | None) -> StepPlan:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.BOOKED, verb="disbursed")
            day = ctx.value_date or ctx.terms.loan.start
            ctx.post(accounting.disburse(ctx.accounts, ctx.ledger_request(), day, ctx.terms.loan.principal, ctx.meta()))
            ctx.state = AccrualState(accrued_to=day, segment_start=day)
            ctx.status = DealStatus.DISBURSED
            ctx.day = day
            ctx.amounts["principal"] = ctx.terms.loan.principal

        # The value date as requested (empty: the start date) is part of the payload, so a retry with
        # another date is a different request, not a replay.
        payload = {"date": value_date.isoformat() if value_date else ""}
        return self._plan(request_id, name, "disbursed", value_date, step, payload=payload)

    def accrue_interest(
        self, *, request_id: str, name: str, through: dt.date, payload: Mapping[str, str] | None = None
    ) -> StepResult:
        """Accrue interest through a date: that day's interest included, posted on it, so accruing through
        a month's last day puts the month's interest in the month (月末计提; docs/deals.md "Dates").
        `payload` is what the request said (a legacy exclusive `to` date keeps its own fingerprint)."""
        return self._execute(self._accrue_plan(request_id, name, through, payload))

    def _accrue_plan(
        self, request_id: str, name: str, through: dt.date, payload: Mapping[str, str] | None = None
    ) -> StepPlan:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="accrued")
            ctx.not_before_accrued(through)
            ctx.accrue_to(through + dt.timedelta(days=1))

        sent = payload or {"through": through.isoformat()}
        return self._plan(request_id, name, "accrued", through, step, payload=sent)

    def accrue_branch(self, *, request_id: str, branch: str, through: dt.date) -> BranchAccrual:
        """Accrue every open loan of a branch through a date, in one unit of work (deals.branch_accrual):
        each loan gets exactly what `accrue_interest` with request id `{request_id}#{deal}` would post.
        The same request id again replays the first call's figures and posts nothing."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        branch_id = ""
        try:
            branch_id = names.parse_party_name(branch)
        except names.BadName as exc:
            errors.add("parent", str(exc))
        check_value_date(through, "through_date", errors, self._ledger.today())
        errors.raise_if_any()

        def work(session: LedgerSession) -> BranchAccrual:
            reach_for_caller(session)
            if not session.existing_parties([branch_id]):
                raise NotFound(branch, "party")
            return branch_accrual.accrue_branch(
                session,
                request_id=request_id,
                branch=branch_id,
                through=through,
                policy=self.policy,
            )

        return self._ledger.write(work, what="AccrueBranchInterest")

    def repay(self, *, request_id: str, name: str, amount: int, value_date: dt.date) -> StepResult:
        """Allocate a payment to overdue interest, then current interest, then principal (prepayment); on a
        non-accrual loan to interest on the books, interest off balance sheet, then principal."""
        return self._execute(self._repay_plan(request_id, name, amount, value_date))

    def _repay_plan(self, request_id: str, name: str, amount: int, value_date: dt.date) -> StepPlan:
        if amount <= 0:
            raise InvalidArgument.one("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="repaid")
            ctx.not_before_last_event(value_date, "repaid")
            ctx.accrue_to(value_date)
            if ctx.non_accrual_since is not None:
                _repay_non_accrual(ctx, amount, value_date)
                return
            balances = ctx.balances()
            interest_due = balances["interest-receivable"]
            principal_due = balances["loans"]
            if amount > interest_due + principal_due:
                raise InvalidArgument.one(
                    "amount",
                    f"{yuan(amount)} is more than the {yuan(interest_due + principal_due)} owed "
                    f"({yuan(interest_due)} interest, {yuan(principal_due)} principal)",
                    "OVERPAYMENT",
                )
            state = ctx.accrual()
            current_due = min(interest_due, state.period_borrower_interest)
            overdue_due = interest_due - current_due
            overdue = min(amount, overdue_due)
            current = min(amount - overdue, current_due)
            principal = amount - overdue - current
            subsidy = balances["subsidy-receivable"]
            ctx.post(
                accounting.repay(
                    ctx.accounts, ctx.ledger_request(), value_date, overdue + current, principal, subsidy, ctx.meta()
                )
            )
            if principal:
                ctx.state = start_segment(state, value_date)
            ctx.status = DealStatus.REPAYING
            ctx.amounts.update(overdue_interest=overdue, interest=current, principal=principal, subsidy=subsidy)

        return self._plan(
            request_id, name, "repaid", value_date, step, payload={"amount": amount, "date": value_date.isoformat()}
        )

    def close(self, *, request_id: str, name: str) -> StepResult:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="closed")
            balances = ctx.balances()
            balances["off-balance-interest"] = ctx.off_balance_interest()
            keys = ("loans", "interest-receivable", "subsidy-receivable", "off-balance-interest")
            owed = {k: v for k, v in balances.items() if k in keys and v}
            if owed:
                raise FailedPrecondition(
                    f"deals/{ctx.deal_id} still has "
                    + ", ".join(f"{yuan(v)} on {k}" for k, v in sorted(owed.items()))
                    + "; record the repayment first",
                    [PreconditionViolation("NOT_REPAID", f"deals/{ctx.deal_id}", "balances remain")],
                    reason="NOT_REPAID",
                )
            ctx.status = DealStatus.CLOSED

        return self._execute(self._plan(request_id, name, "closed", None, step, payload={}))


def _repay_non_accrual(ctx: StepContext, amount: int, day: dt.date) -> None:
    """A repayment of a non-accrual loan (docs/credit.md, "Non-accrual"), in the loan contract's order as for
    any loan: interest still on the books, then interest tracked off balance sheet (recognised as income
    now that it is received), then principal. A payment that brings the loan current (0 days past due)
    ends non-accrual: the interest still off balance sheet returns to the books."""
    balances = ctx.balances()
    interest_due, principal_due = balances["interest-receivable"], balances["loans"]
    off_balance_due = ctx.off_balance_interest()
    owed = interest_due + principal_due + off_balance_due
    if amount > owed:
        raise InvalidArgument.one(
            "amount",
            f"{yuan(amount)} is more than the {yuan(owed)} owed ({yuan(interest_due)} interest on the books, "
            f"{yuan(principal_due)} principal, {yuan(off_balance_due)} interest off balance sheet)",
            "OVERPAYMENT",
        )
    interest = min(amount, interest_due)
    off_balance = min(amount - interest, off_balance_due)
    principal = amount - interest - off_balance
    ctx.post(
        accounting.repay_non_accrual(
            ctx.accounts, ctx.ledger_request(), day, interest, principal, off_balance, ctx.meta()
        )
    )
    state = ctx.accrual()
    if principal:
        ctx.state = start_segment(state, day)
    ctx.status = DealStatus.REPAYING
    ctx.amounts.update(
        overdue_interest=interest, interest=0, principal=principal, subsidy=0, off_balance_interest=off_balance
    )
    if ctx.arrears(Payment(day, amount, principal)).days_past_due(day) == 0:
        resumed = off_balance_due - off_balance
        if resumed:
            ctx.post(accounting.resume_accrual(ctx.accounts, ctx.ledger_request(), day, resumed, ctx.meta()))
        ctx.non_accrual_since = None
        ctx.amounts["accrual_resumed"] = resumed
