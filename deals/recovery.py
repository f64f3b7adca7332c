"""Recoveries (回收) on defaulted and written-off loans, shared with whoever bore the loss.

A recovery is cash the bank collects from a borrower after default: from the borrower, a guarantor, the
sale of collateral or a court. It is applied in a fixed order (docs/deals.md, "Recoveries"):

1. `costs`: the collection costs (催收费用) the recovery reimburses, kept by the bank, which paid them;
2. principal the borrower still owes;
3. interest the borrower still owes on the books;
4. interest tracked off balance sheet (a loan that was on non-accrual): the bank's alone, since nobody
   compensated it, and income only now that it is received.

What goes to principal and interest on the books (the *net* recovery) is shared with the parties that bore the loss
under their agreements, pro rata to what each bore: the risk pool its compensation (paid or owed; nothing
if the pool rejected the claim), the insurer its share, the bank the rest of the loss measured at default.
Rounding: a party's share of the net recoveries *so far* is rounded once, half up, to the fen, and this
recovery gives it that figure less what earlier recoveries gave it; the bank takes what is left. So
rounding never accumulates over several recoveries, a party never receives more than it bore, and once the
whole loss has been recovered each party has received exactly what it bore.

Each share is first set off against what that party still owes the bank on the deal (the pool's open
claim, the insurer's unpaid share), and only the rest is paid in cash: the bank does not pay money to a
party that owes it more. docs/accounting.md shows the journal entries.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals import accounting
from deals import schema as ds
from deals.claims import ClaimStatus, claim_row
from deals.insurance import InsuranceStatus, insurance_row
from deals.model import CLAIM_APPROVED_EVENT, DEFAULTED_EVENT, RECOVERED_EVENT, DealStatus, yuan
from deals.steps import StepContext
from ledger.errors import FailedPrecondition, InvalidArgument, PreconditionViolation

__all__ = [
    "RECOVERED_EVENT",
    "WRITTEN_OFF_EVENT",
    "Basis",
    "Owed",
    "apply_recovery",
    "basis_of",
    "half_up",
    "owed_after_write_off",
    "share",
    "split",
]

WRITTEN_OFF_EVENT = "written_off"


@dataclass(frozen=True, slots=True)
class Basis:
    """What each party bore at default and what recoveries gave back so far (fen)."""

    loss: int  # principal + borrower interest at default
    pool: int  # the pool's compensation, paid or owed (0 if rejected)
    insurer: int  # the insurer's share
    recovered: int = 0  # net recoveries so far (principal + interest parts)
    pool_returned: int = 0
    insurer_returned: int = 0


@dataclass(frozen=True, slots=True)
class Owed:
    """What the borrower still owes (fen): principal, then interest."""

    principal: int
    interest: int

    @property
    def total(self) -> int:
        return self.principal + self.interest


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up to a whole fen, exactly (non-negative integers)."""
    return (2 * numerator + denominator) // (2 * denominator)


def share(cover: int, loss: int, recovered_before: int, net: int, returned: int) -> int:
    """A party's share of a net recovery: its cover's share of all net recoveries so far, rounded once
    half up, less what it was given before; never more than what it has not yet been given back."""
    if loss <= 0 or cover <= 0:
        return 0
    cumulative = half_up((recovered_before + net) * cover, loss)
    return max(0, min(cumulative - returned, cover - returned))


def split(basis: Basis, net: int) -> tuple[int, int, int]:
    """The pool's, the insurer's and the bank's shares of a net recovery (the bank's is what is left)."""
    pool = share(basis.pool, basis.loss, basis.recovered, net, basis.pool_returned)
    insurer = min(share(basis.insurer, basis.loss, basis.recovered, net, basis.insurer_returned), net - pool)
    return pool, insurer, net - pool - insurer


def _events(conn: sa.Connection, deal_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    rows = conn.execute(
        sa.select(ds.deal_events.c.seq, ds.deal_events.c.kind, ds.deal_events.c.details_json)
        .where(ds.deal_events.c.deal_id == deal_id)
        .order_by(ds.deal_events.c.seq)
    ).all()
    return [(r.seq, r.kind, json.loads(r.details_json)) for r in rows]


def _fen(details: dict[str, Any], key: str) -> int:
    return int(details.get(key, 0) or 0)


def basis_of(conn: sa.Connection, deal_id: str) -> Basis:
    """The sharing basis of a defaulted deal from its events: the default's loss, the insurer's share (its
    approved claim; a rejected claim: nothing; a deal defaulted before claims existed: the default's),
    the pool's compensation at the default or at the claim's approval, and every recovery so far."""
    loss = pool = insurer = recovered = pool_returned = insurer_returned = 0
    for _, kind, details in _events(conn, deal_id):
        if kind == DEFAULTED_EVENT:
            loss = _fen(details, "loss")
            insurer = _fen(details, "insurer_share")
        if kind in (DEFAULTED_EVENT, CLAIM_APPROVED_EVENT):
            pool += _fen(details, "compensation_paid") + _fen(details, "compensation_claim")
        elif kind == RECOVERED_EVENT:
            recovered += _fen(details, "principal") + _fen(details, "interest")
            pool_returned += _fen(details, "pool_share")
            insurer_returned += _fen(details, "insurer_share")
    claim = insurance_row(conn, deal_id)
    if claim is not None:  # the insurer bears its share only once it approved its claim (deals.insurance)
        insurer = claim.amount if InsuranceStatus(claim.status).bears else 0
    return Basis(loss, pool, insurer, recovered, pool_returned, insurer_returned)


def owed_after_write_off(conn: sa.Connection, deal_id: str) -> Owed:
    """What a written-off borrower still owes: what the write-off took off the books less what recoveries
    since then collected. (A write-off recorded before the split was kept counts as principal.)"""
    principal = interest = 0
    for _, kind, details in _events(conn, deal_id):
        if kind == WRITTEN_OFF_EVENT:
            if "principal" in details:
                principal, interest = _fen(details, "principal"), _fen(details, "interest")
            else:
                principal, interest = _fen(details, "written_off"), 0
        elif kind == RECOVERED_EVENT and principal + interest:
            principal -= _fen(details, "principal")
            interest -= _fen(details, "interest")
    return Owed(max(principal, 0), max(interest, 0))


def apply_recovery(ctx: StepContext, *, amount: int, costs: int, day: dt.date) -> None:
    """The step body of `DealDesk.record_recovery`: checks, shares and posts one recovery."""
    ctx.require(DealStatus.DEFAULTED, DealStatus.WRITTEN_OFF, verb="recovered")
    ctx.not_before_last_event(day, "recovered")
    claim = claim_row(ctx.conn, ctx.deal_id)
    if claim is not None and claim.status == ClaimStatus.PENDING.value:
        raise FailedPrecondition(
            f"the risk pool has not decided claims/{ctx.deal_id} yet, so what it bore is not known; record the "
            "recovery after it approves or rejects the claim",
            [PreconditionViolation("CLAIM_PENDING", f"claims/{ctx.deal_id}", "pending")],
            reason="CLAIM_PENDING",
        )
    insured = insurance_row(ctx.conn, ctx.deal_id)
    if insured is not None and insured.status == InsuranceStatus.PENDING.value:
        raise FailedPrecondition(
            f"the insurer has not decided insuranceClaims/{ctx.deal_id} yet, so what it bore is not known; record "
            "the recovery after it approves or rejects the claim",
            [PreconditionViolation("CLAIM_PENDING", f"insuranceClaims/{ctx.deal_id}", "pending")],
            reason="CLAIM_PENDING",
        )
    written_off = ctx.status is DealStatus.WRITTEN_OFF
    if written_off:
        owed = owed_after_write_off(ctx.conn, ctx.deal_id)
    else:
        balances = ctx.balances()
        owed = Owed(balances["loans"], balances["interest-receivable"])
    off_balance_owed = ctx.off_balance_interest()
    net = amount - costs
    if net > owed.total + off_balance_owed:
        raise InvalidArgument.one(
            "amount",
            f"{yuan(amount)} less {yuan(costs)} of costs is {yuan(net)}, more than the "
            f"{yuan(owed.total + off_balance_owed)} the borrower still owes ({yuan(owed.principal)} principal, "
            f"{yuan(owed.interest)} interest, {yuan(off_balance_owed)} interest off balance sheet)",
            "RECOVERY_EXCEEDS_DEBT",
        )
    principal = min(net, owed.principal)
    interest = min(net - principal, owed.interest)
    off_balance = net - principal - interest
    basis = basis_of(ctx.conn, ctx.deal_id)
    pool, insurer, bank = split(basis, principal + interest)
    a = ctx.accounts
    if not written_off:
        _cover_held(ctx, basis)
    ctx.session.open_accounts(
        [(p.party, p.code, p.type, p.commodity, p.guarded, p.display_name) for p in a.recovery_plan()]
    )
    payables = {a.deal_account(a.pool, "claims-payable"): 0}
    if a.insurer:
        payables[a.deal_account(a.insurer, "claims-payable")] = 0
    found = ctx.session.balances(list(payables))
    pool_set_off = min(pool, _balance(found, a.deal_account(a.pool, "claims-payable")))
    insurer_set_off = min(insurer, _balance(found, a.deal_account(a.insurer, "claims-payable"))) if a.insurer else 0
    amounts = accounting.RecoveryAmounts(
        costs=costs,
        principal=principal,
        interest=interest,
        pool_share=pool,
        pool_set_off=pool_set_off,
        insurer_share=insurer,
        insurer_set_off=insurer_set_off,
    )
    ctx.post(accounting.recover(a, ctx.ledger_request(), day, amounts, ctx.meta(), written_off=written_off))
    if off_balance:
        ctx.post(
            accounting.recover_off_balance(
                a, ctx.ledger_request(), day, off_balance, ctx.meta(), written_off=written_off
            )
        )
    ctx.day = day
    ctx.amounts.update(
        costs=costs,
        principal=principal,
        interest=interest,
        pool_share=pool,
        pool_set_off=pool_set_off,
        insurer_share=insurer,
        insurer_set_off=insurer_set_off,
        bank_share=bank,
        off_balance_interest=off_balance,
    )


def _cover_held(ctx: StepContext, basis: Basis) -> None:
    """Before write-off a recovery returns the pool's and the insurer's shares out of the cover the bank
    holds for them. A deal defaulted before the cover had accounts of its own had it credited to the loan:
    there is nothing to return it from until the write-off has settled the loan."""
    a = ctx.accounts
    wanted = {
        a.deal_account(a.branch, "compensation-received"): basis.pool - basis.pool_returned,
        a.deal_account(a.branch, "insurance-compensation"): basis.insurer - basis.insurer_returned,
    }
    found = ctx.session.balances(list(wanted))
    if any(_balance(found, name) < due for name, due in wanted.items()):
        raise FailedPrecondition(
            f"deals/{ctx.deal_id} was defaulted before the pool's and the insurer's cover had accounts of their "
            "own (it was credited to the loan); write the deal off first, then record the recovery",
            [PreconditionViolation("COVER_ON_LOAN", f"deals/{ctx.deal_id}", "cover credited to the loan")],
            reason="COVER_ON_LOAN",
        )


def _balance(found: dict[str, Any], name: str) -> int:
    return max(found[name].balance, 0) if name in found else 0
