"""Insurance claims (科技保险理赔): the insurer's say over money leaving its book.

A default measures the insurer's share of the loss from the deal's agreed terms (the risk-sharing
agreement names the insurer and its rate) and **files** a claim (`pending`); nothing lands in the
insurer's book then. The insurer's claims staff **approve** it (its `claims-expense` and `claims-payable`
are posted, and the bank's `insurance-receivable` with the cover it holds, `insurance-compensation`) or
**reject** it (nothing posted; the write-off leaves that part of the loss with the bank). An approved
claim is **settled** in cash, in one payment or several (the insurer's `claims-payable` falls, its
`clearing` with the bank pays; the bank's `clearing` receives and its `insurance-receivable` falls);
once nothing is owed the claim is `settled`. Whoever filed it (the default's recorder) cannot decide it.

While a claim is pending the deal cannot be written off or recover money (what the insurer bears is not
known yet), as for a pending pool claim. Deals defaulted before claims existed posted the insurer's
share with the default and have no claim; they keep working as before.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.claims import decidable
from deals.model import DealStatus, yuan
from deals.steps import StepContext
from ledger import actor
from ledger.db import as_utc
from ledger.errors import FailedPrecondition, InvalidArgument, NotFound, PreconditionViolation

__all__ = [
    "InsuranceClaim",
    "InsuranceStatus",
    "approve_step",
    "decide_insurance",
    "file_insurance",
    "insurance_claim_of",
    "insurance_row",
    "record_settlement",
    "reject_step",
    "settle_step",
]


class InsuranceStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SETTLED = "settled"

    @property
    def bears(self) -> bool:
        """Whether the insurer bears its share (approved, possibly paid)."""
        return self in (InsuranceStatus.APPROVED, InsuranceStatus.SETTLED)


@dataclass(frozen=True, slots=True)
class InsuranceClaim:
    deal_id: str
    insurer: str
    branch: str
    status: InsuranceStatus
    loss: int  # the loss measured at default (fen)
    rate: Decimal  # the insurer's share of a loss, as agreed
    amount: int  # the claim: the loss × rate, half up to the fen
    settled: int  # paid in cash so far
    value_date: dt.date  # the default's date
    filed_by: tuple[str, str, str]  # principal, role, request id
    filed_at: dt.datetime
    decided_by: tuple[str, str, str] | None
    decided_at: dt.datetime | None
    decision_date: dt.date | None
    reason: str
    transaction: str  # the approval's posting

    @property
    def name(self) -> str:
        return f"insuranceClaims/{self.deal_id}"


def insurance_claim_of(row: Any) -> InsuranceClaim:
    decided = (
        (row.decided_principal, row.decided_role or "", row.decided_request or "") if row.decided_principal else None
    )
    return InsuranceClaim(
        deal_id=row.deal_id,
        insurer=row.insurer,
        branch=row.branch,
        status=InsuranceStatus(row.status),
        loss=row.loss,
        rate=Decimal(row.rate),
        amount=row.amount,
        settled=row.settled,
        value_date=row.value_date,
        filed_by=(row.filed_principal, row.filed_role, row.filed_request),
        filed_at=as_utc(row.created_at),
        decided_by=decided,
        decided_at=as_utc(row.decided_at) if row.decided_at else None,
        decision_date=row.decision_date,
        reason=row.reason,
        transaction=f"transactions/{row.transaction_id}" if row.transaction_id else "",
    )


def insurance_row(conn: sa.Connection, deal_id: str, *, lock: bool = False) -> Any:
    query = sa.select(ds.insurance_claims).where(ds.insurance_claims.c.deal_id == deal_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def file_insurance(
    conn: sa.Connection,
    *,
    deal_id: str,
    insurer: str,
    branch: str,
    loss: int,
    rate: Decimal,
    amount: int,
    value_date: dt.date,
    request_id: str,
    now: dt.datetime,
) -> None:
    conn.execute(
        ds.insurance_claims.insert(),
        {
            "deal_id": deal_id,
            "insurer": insurer,
            "branch": branch,
            "status": InsuranceStatus.PENDING.value,
            "loss": loss,
            "rate": format(rate, "f"),
            "amount": amount,
            "settled": 0,
            "value_date": value_date,
            **actor.columns("filed_"),
            "filed_request": request_id,
            "created_at": now,
        },
    )


def decide_insurance(
    conn: sa.Connection,
    deal_id: str,
    *,
    status: InsuranceStatus,
    request_id: str,
    now: dt.datetime,
    decision_date: dt.date,
    reason: str = "",
    transaction_id: Any = None,
) -> None:
    conn.execute(
        ds.insurance_claims.update()
        .where(ds.insurance_claims.c.deal_id == deal_id)
        .values(
            status=status.value,
            reason=reason,
            transaction_id=transaction_id,
            decision_date=decision_date,
            **actor.columns("decided_"),
            decided_request=request_id,
            decided_at=now,
        )
    )


def record_settlement(conn: sa.Connection, deal_id: str, *, settled: int, fully: bool) -> None:
    values: dict[str, Any] = {"settled": settled}
    if fully:
        values["status"] = InsuranceStatus.SETTLED.value
    conn.execute(ds.insurance_claims.update().where(ds.insurance_claims.c.deal_id == deal_id).values(**values))


# ---------------------------------------------------------------------- the steps (run by deals.claims_desk)


def _claim_for_decision(ctx: StepContext, name: str) -> InsuranceClaim:
    """The deal's claim, locked and pending; its decider is not the person who filed it (four eyes)."""
    row = insurance_row(ctx.conn, ctx.deal_id, lock=True)
    if row is None:
        raise NotFound(name, "insurance claim")
    claim = insurance_claim_of(row)
    decidable(name, claim.status.value, claim.filed_by[0], "the insurer's staff")
    return claim


def _open_insurer_accounts(ctx: StepContext, *, settling: bool = False) -> None:
    plans = [*ctx.accounts.insurance_plan(settling=settling), *ctx.accounts.cover_plan()]
    ctx.session.open_accounts([(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in plans])


def approve_step(ctx: StepContext, name: str, value_date: dt.date | None) -> None:
    """The insurer approves: its share is posted on the decision date (default: the default's date)."""
    ctx.require(DealStatus.DEFAULTED, verb="claimed from the insurer")
    claim = _claim_for_decision(ctx, name)
    day = value_date or claim.value_date
    ctx.not_before_last_event(day, "claimed from the insurer")
    _open_insurer_accounts(ctx)
    ctx.post(accounting.approve_insurance(ctx.accounts, ctx.ledger_request(), day, claim.amount, ctx.meta()))
    ctx.day = day
    ctx.amounts.update(insurer_share=claim.amount)
    decide_insurance(
        ctx.conn,
        ctx.deal_id,
        status=InsuranceStatus.APPROVED,
        request_id=ctx.request_id,
        now=ctx.session.now(),
        decision_date=day,
        transaction_id=ctx.posted[0] if ctx.posted else None,
    )


def reject_step(ctx: StepContext, name: str, reason: str) -> None:
    """The insurer rejects: nothing is posted; the write-off leaves its share of the loss with the bank."""
    ctx.require(DealStatus.DEFAULTED, verb="claimed from the insurer")
    claim = _claim_for_decision(ctx, name)
    ctx.day = claim.value_date  # the decision is dated as the default, as a rejected pool claim is
    decide_insurance(
        ctx.conn,
        ctx.deal_id,
        status=InsuranceStatus.REJECTED,
        request_id=ctx.request_id,
        now=ctx.session.now(),
        decision_date=claim.value_date,
        reason=reason,
    )


def settle_step(ctx: StepContext, name: str, amount: int, value_date: dt.date) -> None:
    """The insurer pays `amount` of what it still owes on an approved claim (its claims payable: the claim
    less earlier payments and the recovery shares set off against it)."""
    ctx.require(DealStatus.DEFAULTED, DealStatus.WRITTEN_OFF, verb="paid by the insurer")
    row = insurance_row(ctx.conn, ctx.deal_id, lock=True)
    if row is None:
        raise NotFound(name, "insurance claim")
    claim = insurance_claim_of(row)
    if not claim.status.bears or claim.status is InsuranceStatus.SETTLED:
        raise FailedPrecondition(
            f"{name} is {claim.status.value}; only an approved claim can be paid",
            [PreconditionViolation("CLAIM_STATE", name, f"status is {claim.status.value}")],
            reason="CLAIM_NOT_APPROVED",
        )
    if claim.decision_date is not None and value_date < claim.decision_date:
        raise FailedPrecondition(
            f"{name} was approved as of {claim.decision_date.isoformat()}; it cannot be paid before that",
            [PreconditionViolation("LATE_EVENT", name, f"approved {claim.decision_date.isoformat()}")],
            reason="LATE_EVENT",
            metadata={"last_value_date": claim.decision_date.isoformat()},
        )
    payable = ctx.accounts.deal_account(ctx.accounts.insurer, "claims-payable")
    found = ctx.session.balances([payable])
    owed = max(found[payable].balance, 0) if payable in found else 0
    if amount > owed:
        raise InvalidArgument.one(
            "amount",
            f"{yuan(amount)} is more than the {yuan(owed)} the insurer still owes on {name}",
            "OVERPAYMENT",
        )
    _open_insurer_accounts(ctx, settling=True)
    ctx.post(accounting.settle_insurance(ctx.accounts, ctx.ledger_request(), value_date, amount, ctx.meta()))
    ctx.day = value_date
    ctx.amounts.update(paid=amount, outstanding=owed - amount)
    record_settlement(ctx.conn, ctx.deal_id, settled=claim.settled + amount, fully=amount == owed)
