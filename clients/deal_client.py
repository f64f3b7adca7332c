"""`DealClient`: typed Python calls of toudai's DealService, on a `ToudaiClient`'s channel.

Like `ToudaiClient`, it hides gRPC completely. Deal terms go in and come out as frozen dataclasses;
money is `Decimal` in CNY ("10000000.00"), rates and fractions are `Decimal` ("0.0435" is 4.35%),
parties are bare party ids (`bank-hz`, as people type them), deals are `deals/{deal}` or the bare id.
Calls get the client's deadline, retries with one request_id per call, and typed errors.

    with ToudaiClient("127.0.0.1:50051") as client:
        deals = DealClient(client)
        deal = deals.book("hz-2026-001", terms, request_id="book-hz-2026-001")
        deals.disburse(deal.name)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from google.protobuf import message as protobuf_message

from clients.client import ToudaiClient, new_request_id
from clients.deal_convert import (
    claim_from,
    claim_name,
    date_message,
    deal_from,
    deal_name,
    enum_number,
    money_message,
    money_value,
    party,
    party_id,
    period_from,
    terms_message,
)
from clients.deal_types import (
    Accrual,
    BranchAccrual,
    ClaimStatus,
    CompensationClaim,
    Deal,
    DealStatus,
    DealTerms,
    Default,
    Disbursement,
    PoolFunding,
    Recovery,
    Repayment,
    Schedule,
    WriteOff,
)
from clients.values import AmountInput, party_name
from toudai.v1 import deals_pb2 as pb
from toudai.v1 import deals_pb2_grpc as pb_grpc

# ---------------------------------------------------------------- the client


class DealClient:
    """DealService calls on a `ToudaiClient` (its channel, deadline, retries and token)."""

    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub: Any = client.stub(pb_grpc.DealServiceStub)

    @property
    def client(self) -> ToudaiClient:
        """The connection this client calls through (for other services on the same credential)."""
        return self._client

    def _call(self, method: str, request: protobuf_message.Message) -> Any:
        return self._client.call(self._stub, method, request)

    def book(self, deal_id: str, terms: DealTerms, *, request_id: str | None = None) -> Deal:
        """Book a deal. Every violation in the terms comes back at once (InvalidArgumentError)."""
        request = pb.BookLinkedDealRequest(
            request_id=request_id or new_request_id(),
            deal_id=deal_id.removeprefix("deals/"),
            terms=terms_message(terms),
        )
        return deal_from(self._call("BookLinkedDeal", request).deal)

    def get(self, deal: str) -> Deal:
        """Read one deal with its balances and events."""
        return deal_from(self._call("GetDeal", pb.GetDealRequest(name=deal_name(deal))).deal)

    def list(
        self,
        *,
        branch: str | None = None,
        status: DealStatus | str | None = None,
        borrower_uscc: str | None = None,
        holder: str | None = None,
        page_size: int = 0,
    ) -> Iterator[Deal]:
        """Every deal matching the filters, in deal id order, fetched page by page."""
        request = pb.ListDealsRequest(
            branch=party(branch or ""),
            status=enum_number(DealStatus(status) if status else None),
            borrower_uscc=borrower_uscc or "",
            holder=party(holder or ""),
            page_size=page_size,
        )
        return (deal_from(d) for d in self._client.pages(self._stub, "ListDeals", request, "deals"))

    def schedule(self, deal: str) -> Schedule:
        """The full repayment schedule with interest, subsidy and the borrower's share per period."""
        response = self._call("GetSchedule", pb.GetScheduleRequest(name=deal_name(deal)))
        periods = tuple(period_from(p) for p in response.periods)
        zero = Decimal("0.00")
        return Schedule(
            deal=deal_name(deal),
            periods=periods,
            total_principal=sum((p.principal for p in periods), zero),
            total_interest=money_value(response.total_interest),
            total_subsidy=money_value(response.total_subsidy),
            total_borrower_interest=money_value(response.total_borrower_interest),
            total_borrower_payment=sum((p.borrower_payment for p in periods), zero),
        )

    def disburse(self, deal: str, *, value_date: dt.date | None = None, request_id: str | None = None) -> Disbursement:
        """Pay out the principal (value date: the loan's start date unless given)."""
        request = pb.DisburseLoanRequest(request_id=request_id or new_request_id(), name=deal_name(deal))
        if value_date is not None:
            request.value_date.CopyFrom(date_message(value_date))
        response = self._call("DisburseLoan", request)
        return Disbursement(deal=deal_from(response.deal), transaction=response.transaction, replayed=response.replayed)

    def accrue(self, deal: str, through: dt.date, *, request_id: str | None = None) -> Accrual:
        """Accrue interest through `through`, that day included and posted on it (accruing through a month's
        last day puts the month's interest in the month); again through the same date posts nothing."""
        request = pb.AccrueInterestRequest(
            request_id=request_id or new_request_id(), name=deal_name(deal), through_date=date_message(through)
        )
        response = self._call("AccrueInterest", request)
        return Accrual(
            deal=deal_from(response.deal),
            accrued=money_value(response.accrued),
            subsidy=money_value(response.subsidy),
            transaction=response.transaction,
            off_balance_interest=money_value(response.off_balance_interest),
            moved_off_balance=money_value(response.moved_off_balance),
            subsidy_reversed=money_value(response.subsidy_reversed),
            replayed=response.replayed,
        )

    def accrue_branch(self, branch: str, through: dt.date, *, request_id: str | None = None) -> BranchAccrual:
        """Accrue every open loan of a branch through `through` in one call (month-end); each loan as `accrue`
        with request id `{request_id}#{deal}`. The same request id again replays the first call's figures."""
        request = pb.AccrueBranchInterestRequest(
            request_id=request_id or new_request_id(), parent=party_name(branch), through_date=date_message(through)
        )
        response = self._call("AccrueBranchInterest", request)
        return BranchAccrual(
            deals_accrued=response.deals_accrued,
            deals_accrued_later=response.deals_accrued_later,
            deals_entering_non_accrual=response.deals_entering_non_accrual,
            accrued=money_value(response.accrued),
            subsidy=money_value(response.subsidy),
            off_balance_interest=money_value(response.off_balance_interest),
            transactions_posted=response.transactions_posted,
            replayed=response.replayed,
        )

    def repay(self, deal: str, amount: AmountInput, value_date: dt.date, *, request_id: str | None = None) -> Repayment:
        """Record what the borrower paid; it goes to overdue interest, then interest, then principal."""
        request = pb.RecordRepaymentRequest(
            request_id=request_id or new_request_id(),
            name=deal_name(deal),
            amount=money_message(amount),
            value_date=date_message(value_date),
        )
        response = self._call("RecordRepayment", request)
        return Repayment(
            deal=deal_from(response.deal),
            overdue_interest=money_value(response.overdue_interest),
            interest=money_value(response.interest),
            principal=money_value(response.principal),
            subsidy=money_value(response.subsidy),
            transaction=response.transaction,
            off_balance_interest=money_value(response.off_balance_interest),
            accrual_resumed=money_value(response.accrual_resumed),
            replayed=response.replayed,
        )

    def record_default(
        self, deal: str, value_date: dt.date, *, reason: str = "", request_id: str | None = None
    ) -> Default:
        """Record a default: the risk pool (up to its cap and its cash) and the insurer cover their shares."""
        request = pb.RecordDefaultRequest(
            request_id=request_id or new_request_id(),
            name=deal_name(deal),
            value_date=date_message(value_date),
            reason=reason,
        )
        response = self._call("RecordDefault", request)
        return Default(
            deal=deal_from(response.deal),
            loss=money_value(response.loss),
            compensation_paid=money_value(response.compensation_paid),
            compensation_claim=money_value(response.compensation_claim),
            insurer_share=money_value(response.insurer_share),
            transaction=response.transaction,
            compensation_pending=money_value(response.compensation_pending),
            subsidy_reversed=money_value(response.subsidy_reversed),
            replayed=response.replayed,
        )

    # ---------------------------------------------------------------- compensation claims

    def get_claim(self, deal: str) -> CompensationClaim:
        """The pool's compensation claim of a defaulted deal (`claims/{deal}`, `deals/{deal}` or the id)."""
        return claim_from(self._call("GetClaim", pb.GetClaimRequest(name=claim_name(deal))).claim)

    def list_claims(
        self, *, risk_pool: str = "", branch: str = "", status: ClaimStatus | None = None
    ) -> Iterator[CompensationClaim]:
        """Compensation claims by deal id, every page."""
        request = pb.ListClaimsRequest(risk_pool=party(risk_pool), branch=party(branch), status=enum_number(status))
        return (claim_from(c) for c in self._client.pages(self._stub, "ListClaims", request, "claims"))

    def approve_claim(
        self, deal: str, *, value_date: dt.date | None = None, request_id: str | None = None
    ) -> CompensationClaim:
        """The pool approves a pending claim: its compensation is posted (cash first, the rest owed)."""
        request = pb.ApproveClaimRequest(request_id=request_id or new_request_id(), name=claim_name(deal))
        if value_date is not None:
            request.value_date.CopyFrom(date_message(value_date))
        return claim_from(self._call("ApproveClaim", request).claim)

    def reject_claim(self, deal: str, *, reason: str, request_id: str | None = None) -> CompensationClaim:
        """The pool rejects a pending claim: nothing is posted; the branch bears the loss at write-off."""
        request = pb.RejectClaimRequest(request_id=request_id or new_request_id(), name=claim_name(deal), reason=reason)
        return claim_from(self._call("RejectClaim", request).claim)

    def fund_pool(
        self, risk_pool: str, amount: AmountInput, value_date: dt.date, *, request_id: str | None = None
    ) -> PoolFunding:
        """Add money to a risk pool; it pays the pool's open claims, oldest default first."""
        request = pb.FundRiskPoolRequest(
            request_id=request_id or new_request_id(),
            risk_pool=party_name(risk_pool),
            amount=money_message(amount),
            value_date=date_message(value_date),
        )
        response = self._call("FundRiskPool", request)
        return PoolFunding(
            risk_pool=party_id(risk_pool),
            amount=money_value(request.amount),
            claims_paid=money_value(response.claims_paid),
            transactions=tuple(response.transactions),
        )

    def write_off(self, deal: str, value_date: dt.date, *, request_id: str | None = None) -> WriteOff:
        """Write off what remains of a defaulted loan."""
        request = pb.WriteOffRequest(
            request_id=request_id or new_request_id(), name=deal_name(deal), value_date=date_message(value_date)
        )
        response = self._call("WriteOff", request)
        return WriteOff(
            deal=deal_from(response.deal),
            written_off=money_value(response.written_off),
            transaction=response.transaction,
            loan_loss=money_value(response.loan_loss),
            compensation_applied=money_value(response.compensation_applied),
            insurance_applied=money_value(response.insurance_applied),
            allowance_applied=money_value(response.allowance_applied),
            off_balance_interest=money_value(response.off_balance_interest),
            replayed=response.replayed,
        )

    def record_recovery(
        self,
        deal: str,
        amount: AmountInput,
        *,
        costs: AmountInput | None = None,
        value_date: dt.date | None = None,
        request_id: str | None = None,
    ) -> Recovery:
        """Record a recovery on a defaulted or written-off loan: `costs` (collection costs, part of `amount`)
        first, then principal, then interest; the pool and the insurer get their shares pro rata to what
        they bore. No `value_date`: the server's business date."""
        request = pb.RecordRecoveryRequest(
            request_id=request_id or new_request_id(), name=deal_name(deal), amount=money_message(amount)
        )
        if costs is not None:
            request.costs.CopyFrom(money_message(costs))
        if value_date is not None:
            request.value_date.CopyFrom(date_message(value_date))
        response = self._call("RecordRecovery", request)
        return Recovery(
            deal=deal_from(response.deal),
            costs=money_value(response.costs),
            principal=money_value(response.principal),
            interest=money_value(response.interest),
            pool_share=money_value(response.pool_share),
            pool_set_off=money_value(response.pool_set_off),
            insurer_share=money_value(response.insurer_share),
            insurer_set_off=money_value(response.insurer_set_off),
            bank_share=money_value(response.bank_share),
            transaction=response.transaction,
            off_balance_interest=money_value(response.off_balance_interest),
            replayed=response.replayed,
        )

    def close(self, deal: str, *, request_id: str | None = None) -> Deal:
        """Close a fully repaid deal."""
        request = pb.CloseDealRequest(request_id=request_id or new_request_id(), name=deal_name(deal))
        return deal_from(self._call("CloseDeal", request).deal)
