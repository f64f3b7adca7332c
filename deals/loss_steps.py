"""The steps of a loan gone bad: the default (the loss measured, the pool's and the insurer's cover
claimed), the write-off, and recoveries afterwards (deals.recovery)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from deals import accounting, recovery
from deals.claims import ClaimStatus, claim_row, file_claim
from deals.insurance import InsuranceStatus, file_insurance, insurance_row
from deals.model import DEFAULTED_EVENT, DealStatus, StepResult, yuan
from deals.schedule import round_fen
from deals.step_runner import StepRunner
from deals.steps import StepContext
from ledger.errors import FailedPrecondition, PreconditionViolation, ViolationCollector


class LossSteps(StepRunner):
    """Runs a loan's default, write-off and recoveries (part of `deals.desk.DealDesk`)."""

    def record_default(self, *, request_id: str, name: str, value_date: dt.date, reason: str) -> StepResult:
        """Measure the loss; the insurer owes its share, and the pool compensates within its agreement's
        auto-approval limit (paid from its cash as far as it goes, the rest owed) or files a pending claim
        for the pool to decide (deals.claims)."""

        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DISBURSED, DealStatus.REPAYING, verb="defaulted")
            ctx.not_before_last_event(value_date, "defaulted")
            ctx.accrue_to(value_date)
            balances = ctx.balances()
            risk = ctx.terms.risk
            loss = balances["loans"] + balances["interest-receivable"]
            compensation = risk.compensation(loss)
            automatic = risk.auto_approval_limit is None or compensation <= risk.auto_approval_limit
            paid = min(compensation, ctx.pool_cash()) if automatic else 0
            owed = compensation - paid if automatic else 0
            insurer = round_fen(Decimal(loss) * risk.insurer_rate) if risk.insurer else 0
            # The insurer's share is claimed, not posted: it lands in the insurer's book when its staff
            # approve the claim (deals.insurance).
            amounts = accounting.DefaultAmounts(
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                pool_paid=paid,
                pool_claim=owed,
                insurer=0,
            )
            ctx.open_cover_accounts()
            # 贴息 is paid only with the borrower's own repayments: what accrued since the last one is never due.
            reversed_subsidy = balances["subsidy-receivable"]
            if reversed_subsidy:
                ctx.post(
                    accounting.reverse_subsidy(
                        ctx.accounts, ctx.ledger_request(), value_date, reversed_subsidy, ctx.meta()
                    )
                )
            posted_before = len(ctx.posted)
            ctx.post(accounting.default(ctx.accounts, ctx.ledger_request(), value_date, amounts, ctx.meta()))
            ctx.status = DealStatus.DEFAULTED
            ctx.defaulted = True
            ctx.amounts.update(
                loss=loss,
                compensation_paid=paid,
                compensation_claim=owed,
                insurer_share=insurer,
                compensation_pending=0 if automatic else compensation,
                subsidy_reversed=reversed_subsidy,
                off_balance_interest=ctx.off_balance_interest(),
            )
            agreements = ctx.terms.agreements
            file_claim(
                ctx.conn,
                deal_id=ctx.deal_id,
                pool=risk.pool,
                branch=ctx.terms.branch,
                status=ClaimStatus.AUTO_APPROVED if automatic else ClaimStatus.PENDING,
                loss=loss,
                amount=compensation,
                paid=paid,
                owed=owed,
                value_date=value_date,
                agreement=(
                    f"agreements/{agreements.risk_sharing}/versions/{agreements.risk_sharing_version}"
                    if agreements.risk_sharing
                    else ""
                ),
                request_id=request_id,
                transaction_id=ctx.posted[-1] if automatic and len(ctx.posted) > posted_before else None,
                now=ctx.session.now(),
            )
            if insurer:
                file_insurance(
                    ctx.conn,
                    deal_id=ctx.deal_id,
                    insurer=risk.insurer,
                    branch=ctx.terms.branch,
                    loss=loss,
                    rate=risk.insurer_rate,
                    amount=insurer,
                    value_date=value_date,
                    request_id=request_id,
                    now=ctx.session.now(),
                )

        return self._execute(
            self._plan(
                request_id,
                name,
                DEFAULTED_EVENT,
                value_date,
                step,
                payload={"date": value_date.isoformat(), "reason": reason},
                note=reason,
            )
        )

    def write_off(self, *, request_id: str, name: str, value_date: dt.date) -> StepResult:
        def step(ctx: StepContext) -> None:
            ctx.require(DealStatus.DEFAULTED, verb="written off")
            ctx.not_before_last_event(value_date, "written off")
            pending = claim_row(ctx.conn, ctx.deal_id)
            if pending is not None and pending.status == ClaimStatus.PENDING.value:
                raise FailedPrecondition(
                    f"the risk pool has not decided claims/{ctx.deal_id} yet; write off after it approves or "
                    "rejects the claim",
                    [PreconditionViolation("CLAIM_PENDING", f"claims/{ctx.deal_id}", "pending")],
                    reason="CLAIM_PENDING",
                )
            _no_pending_insurance(ctx, "write off")
            balances = ctx.balances()
            ctx.open_cover_accounts()
            cover = _cover(ctx)
            written_off = balances["loans"] + balances["interest-receivable"]
            uncovered = written_off - cover["compensation-received"] - cover["insurance-compensation"]
            allowance = min(_allowance(ctx), max(uncovered, 0))
            ctx.post(
                accounting.write_off(
                    ctx.accounts,
                    ctx.ledger_request(),
                    value_date,
                    balances["loans"],
                    balances["interest-receivable"],
                    ctx.meta(),
                    compensation=cover["compensation-received"],
                    insurance=cover["insurance-compensation"],
                    allowance=allowance,
                )
            )
            ctx.status = DealStatus.WRITTEN_OFF
            ctx.amounts.update(
                written_off=written_off,
                principal=balances["loans"],
                interest=balances["interest-receivable"],
                compensation_applied=cover["compensation-received"],
                insurance_applied=cover["insurance-compensation"],
                allowance_applied=allowance,
                loan_loss=uncovered - allowance,
                off_balance_interest=ctx.off_balance_interest(),
            )

        return self._execute(
            self._plan(request_id, name, "written_off", value_date, step, payload={"date": value_date.isoformat()})
        )

    def record_recovery(
        self, *, request_id: str, name: str, amount: int, costs: int = 0, value_date: dt.date | None = None
    ) -> StepResult:
        """A recovery on a defaulted or written-off loan: costs, then principal, then interest, shared with the
        pool and the insurer pro rata to what they bore (deals.recovery). No date: the business date."""
        errors = ViolationCollector()
        if amount <= 0:
            errors.add("amount", "must be greater than zero", "NON_POSITIVE_AMOUNT")
        if costs < 0:
            errors.add("costs", "must not be negative", "NEGATIVE_AMOUNT")
        elif amount > 0 and costs > amount:
            errors.add("costs", f"{yuan(costs)} is more than the {yuan(amount)} recovered", "COSTS_EXCEED_AMOUNT")
        errors.raise_if_any()

        def step(ctx: StepContext) -> None:
            recovery.apply_recovery(ctx, amount=amount, costs=costs, day=ctx.value_date or ctx.session.today())

        # The date as sent (empty: the business date) is part of the payload, as for DisburseLoan.
        payload = {"amount": amount, "costs": costs, "date": value_date.isoformat() if value_date else ""}
        return self._execute(self._plan(request_id, name, recovery.RECOVERED_EVENT, value_date, step, payload=payload))


def _cover(ctx: StepContext) -> dict[str, int]:
    """The pool's compensation and the insurer's share the bank holds for the deal (fen)."""
    a = ctx.accounts
    wanted = {key: a.deal_account(a.branch, key) for key in ("compensation-received", "insurance-compensation")}
    found = ctx.session.balances(list(wanted.values()))
    return {key: found[name].balance if name in found else 0 for key, name in wanted.items()}


def _no_pending_insurance(ctx: StepContext, verb: str) -> None:
    """What the insurer bears is not known while its claim is pending: refused, as for a pool claim."""
    row = insurance_row(ctx.conn, ctx.deal_id)
    if row is not None and row.status == InsuranceStatus.PENDING.value:
        raise FailedPrecondition(
            f"the insurer has not decided insuranceClaims/{ctx.deal_id} yet; {verb} after it approves or rejects it",
            [PreconditionViolation("CLAIM_PENDING", f"insuranceClaims/{ctx.deal_id}", "pending")],
            reason="CLAIM_PENDING",
        )


def _allowance(ctx: StepContext) -> int:
    """The loan loss allowance impairment runs provided for the deal (a contra asset's credit balance)."""
    name = ctx.accounts.deal_account(ctx.accounts.branch, accounting.ALLOWANCE)
    found = ctx.session.balances([name])
    return max(-found[name].balance, 0) if name in found else 0
