"""The deal desk: books linked deals and runs their loans on the ledger, one unit of work per step.

Each step locks the deal's row (so concurrent calls on one deal serialise), locks every book the deal
posts to in party-id order (so steps on different deals sharing a branch or pool cannot deadlock),
checks the state machine, posts its journal entries through the ledger in the same database
transaction, and appends an event. A retried request_id returns the recorded outcome and posts nothing.

State machine:  booked → disbursed → repaying → closed
                            └──────────┴──→ defaulted → written_off
                                  (a recovery on a defaulted or written-off deal keeps its status)

The desk is made of parts, one module each, that share the running of steps (deals.step_runner):
booking (deals.booking_desk), reading (deals.deal_reads), the performing loan's steps (deals.loan_steps),
default, write-off and recovery (deals.loss_steps), the pool's and the insurer's claims
(deals.claims_desk) and risk-pool funding (deals.pool_funding).
"""

from __future__ import annotations

from deals.booking_desk import BookingDesk
from deals.claims_desk import ClaimsDesk
from deals.deal_reads import DealReads
from deals.loan_steps import LoanSteps, StepCall
from deals.loss_steps import LossSteps
from deals.pool_funding import PoolFunding

__all__ = ["DealDesk", "StepCall"]


class DealDesk(BookingDesk, DealReads, LoanSteps, LossSteps, ClaimsDesk, PoolFunding):
    """Linked deals on a `Ledger` (same database): `DealDesk(ledger, policy)`, every part's methods in one."""
