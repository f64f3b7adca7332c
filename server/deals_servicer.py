"""DealService: protobuf in, DealDesk call, protobuf out."""

from __future__ import annotations

import datetime as dt

import grpc

from deals.desk import DealDesk
from deals.model import StepResult
from ledger.errors import NotFound, ViolationCollector
from server import authz
from server import deal_convert as dc
from server.auth import Role
from server.convert import optional_date_in, required_date_in
from toudai.v1 import deals_pb2 as pb
from toudai.v1 import deals_pb2_grpc as pb_grpc


def _transaction(result: StepResult) -> str:
    return result.transactions[-1] if result.transactions else ""


class DealServicer(pb_grpc.DealServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.DealService on a `DealDesk`."""

    def __init__(self, desk: DealDesk) -> None:
        self._desk = desk

    def BookLinkedDeal(
        self, request: pb.BookLinkedDealRequest, context: grpc.ServicerContext
    ) -> pb.BookLinkedDealResponse:
        authz.named_party_is_own(context, request.terms.branch, "terms.branch")
        errors = ViolationCollector()
        terms = dc.terms_in(request.terms, errors)
        # The desk validates request_id, deal_id and the terms and reports them with the conversion errors.
        deal = self._desk.book(
            request_id=request.request_id, deal_id=request.deal_id, terms=terms, violations=errors.violations
        )
        return pb.BookLinkedDealResponse(deal=dc.deal_out(deal))

    def GetDeal(self, request: pb.GetDealRequest, context: grpc.ServicerContext) -> pb.GetDealResponse:
        deal = self._desk.get(request.name)
        if not authz.visible(authz.call_of(context), deal):
            raise NotFound(request.name, "deal")
        return pb.GetDealResponse(deal=dc.deal_out(deal))

    def ListDeals(self, request: pb.ListDealsRequest, context: grpc.ServicerContext) -> pb.ListDealsResponse:
        errors = ViolationCollector()
        status = dc.enum_in(dc.STATUS, request.status, "status", errors, None)
        errors.raise_if_any()
        call = authz.call_of(context)
        branch: str | None = request.branch
        holder: str | None = request.holder
        if call.identity.role is Role.BRANCH:
            branch = authz.list_party(context, request.branch, "branch")
        elif call.identity.role is Role.INVESTMENT_ARM:
            holder = authz.list_party(context, request.holder, "holder")
        if branch is None or holder is None:
            return pb.ListDealsResponse()  # a filter naming another party: nothing of the caller's
        page = self._desk.list_deals(
            branch=branch,
            status=status,
            borrower_uscc=request.borrower_uscc,
            holder=holder,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        # The risk pool's deals have no index of their own: its pages are filtered (and may come out short).
        deals = [d for d in page.items if authz.visible(call, d)]
        return pb.ListDealsResponse(deals=[dc.deal_out(d) for d in deals], next_page_token=page.next_page_token)

    def GetSchedule(self, request: pb.GetScheduleRequest, context: grpc.ServicerContext) -> pb.GetScheduleResponse:
        authz.own_deal(context, self._desk, request.name)
        periods = self._desk.schedule(request.name)
        return pb.GetScheduleResponse(
            periods=[dc.period_out(p) for p in periods],
            total_interest=dc.money_out(sum(p.interest for p in periods)),
            total_subsidy=dc.money_out(sum(p.subsidy for p in periods)),
            total_borrower_interest=dc.money_out(sum(p.borrower_interest for p in periods)),
        )

    def DisburseLoan(self, request: pb.DisburseLoanRequest, context: grpc.ServicerContext) -> pb.DisburseLoanResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        result = self._desk.disburse(request_id=request.request_id, name=request.name, value_date=value_date)
        return pb.DisburseLoanResponse(
            deal=dc.deal_out(result.deal), transaction=_transaction(result), replayed=result.replayed
        )

    def AccrueInterest(
        self, request: pb.AccrueInterestRequest, context: grpc.ServicerContext
    ) -> pb.AccrueInterestResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        if request.HasField("to_date") and request.HasField("through_date"):
            errors.add("to_date", "set through_date only (to_date is its deprecated exclusive form, the day after)")
        if request.HasField("to_date"):
            to_date = required_date_in(request, "to_date", errors)
            through = to_date - dt.timedelta(days=1) if to_date > dt.date.min else to_date
            payload = {"to": to_date.isoformat()}
        else:
            through = required_date_in(request, "through_date", errors)
            payload = {"through": through.isoformat()}
        errors.raise_if_any()
        result = self._desk.accrue_interest(
            request_id=request.request_id, name=request.name, through=through, payload=payload
        )
        return pb.AccrueInterestResponse(
            deal=dc.deal_out(result.deal),
            accrued=dc.money_out(result.amounts.get("accrued", 0)),
            subsidy=dc.money_out(result.amounts.get("accrued_subsidy", 0)),
            transaction=_transaction(result),
            off_balance_interest=dc.money_out(result.amounts.get("accrued_off_balance", 0)),
            moved_off_balance=dc.money_out(result.amounts.get("non_accrual_interest", 0)),
            subsidy_reversed=dc.money_out(result.amounts.get("non_accrual_subsidy_reversed", 0)),
            replayed=result.replayed,
        )

    def AccrueBranchInterest(
        self, request: pb.AccrueBranchInterestRequest, context: grpc.ServicerContext
    ) -> pb.AccrueBranchInterestResponse:
        authz.named_party_is_own(context, request.parent, "parent")
        errors = ViolationCollector()
        if not request.parent:
            errors.add("parent", "is required: parties/{party} of the branch whose loans are accrued")
        through = required_date_in(request, "through_date", errors)
        errors.raise_if_any()
        done = self._desk.accrue_branch(request_id=request.request_id, branch=request.parent, through=through)
        return pb.AccrueBranchInterestResponse(
            deals_accrued=done.deals,
            deals_accrued_later=done.later,
            deals_entering_non_accrual=done.non_accrual,
            accrued=dc.money_out(done.interest),
            subsidy=dc.money_out(done.subsidy),
            off_balance_interest=dc.money_out(done.off_balance),
            transactions_posted=done.transactions,
            replayed=done.replayed,
        )

    def RecordRepayment(
        self, request: pb.RecordRepaymentRequest, context: grpc.ServicerContext
    ) -> pb.RecordRepaymentResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        amount = dc.money_in(request.amount, "amount", errors)
        value_date = required_date_in(request, "value_date", errors)
        errors.raise_if_any()
        result = self._desk.repay(
            request_id=request.request_id,
            name=request.name,
            amount=amount,
            value_date=value_date,
        )
        a = result.amounts
        return pb.RecordRepaymentResponse(
            deal=dc.deal_out(result.deal),
            overdue_interest=dc.money_out(a.get("overdue_interest", 0)),
            interest=dc.money_out(a.get("interest", 0)),
            principal=dc.money_out(a.get("principal", 0)),
            subsidy=dc.money_out(a.get("subsidy", 0)),
            transaction=_transaction(result),
            off_balance_interest=dc.money_out(a.get("off_balance_interest", 0)),
            accrual_resumed=dc.money_out(a.get("accrual_resumed", 0)),
            replayed=result.replayed,
        )

    def RecordDefault(
        self, request: pb.RecordDefaultRequest, context: grpc.ServicerContext
    ) -> pb.RecordDefaultResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        value_date = required_date_in(request, "value_date", errors)
        if len(request.reason) > 1024:
            errors.add("reason", "is longer than 1,024 characters")
        errors.raise_if_any()
        result = self._desk.record_default(
            request_id=request.request_id,
            name=request.name,
            value_date=value_date,
            reason=request.reason,
        )
        a = result.amounts
        return pb.RecordDefaultResponse(
            deal=dc.deal_out(result.deal),
            compensation_pending=dc.money_out(a.get("compensation_pending", 0)),
            loss=dc.money_out(a.get("loss", 0)),
            compensation_paid=dc.money_out(a.get("compensation_paid", 0)),
            compensation_claim=dc.money_out(a.get("compensation_claim", 0)),
            insurer_share=dc.money_out(a.get("insurer_share", 0)),
            subsidy_reversed=dc.money_out(a.get("subsidy_reversed", 0)),
            transaction=_transaction(result),
            replayed=result.replayed,
        )

    def FundRiskPool(self, request: pb.FundRiskPoolRequest, context: grpc.ServicerContext) -> pb.FundRiskPoolResponse:
        authz.named_party_is_own(context, request.risk_pool, "risk_pool")
        errors = ViolationCollector()
        amount = dc.money_in(request.amount, "amount", errors)
        value_date = required_date_in(request, "value_date", errors)
        errors.raise_if_any()
        paid, transactions = self._desk.fund_pool(
            request_id=request.request_id,
            pool=request.risk_pool,
            amount=amount,
            value_date=value_date,
        )
        return pb.FundRiskPoolResponse(claims_paid=dc.money_out(paid), transactions=list(transactions))

    def WriteOff(self, request: pb.WriteOffRequest, context: grpc.ServicerContext) -> pb.WriteOffResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        value_date = required_date_in(request, "value_date", errors)
        errors.raise_if_any()
        result = self._desk.write_off(request_id=request.request_id, name=request.name, value_date=value_date)
        return pb.WriteOffResponse(
            deal=dc.deal_out(result.deal),
            written_off=dc.money_out(result.amounts.get("written_off", 0)),
            loan_loss=dc.money_out(result.amounts.get("loan_loss", 0)),
            compensation_applied=dc.money_out(result.amounts.get("compensation_applied", 0)),
            insurance_applied=dc.money_out(result.amounts.get("insurance_applied", 0)),
            allowance_applied=dc.money_out(result.amounts.get("allowance_applied", 0)),
            off_balance_interest=dc.money_out(result.amounts.get("off_balance_interest", 0)),
            transaction=_transaction(result),
            replayed=result.replayed,
        )

    def RecordRecovery(
        self, request: pb.RecordRecoveryRequest, context: grpc.ServicerContext
    ) -> pb.RecordRecoveryResponse:
        authz.own_deal(context, self._desk, request.name)
        errors = ViolationCollector()
        amount = dc.money_in(request.amount, "amount", errors)
        costs = dc.money_in(request.costs, "costs", errors, required=False)
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        result = self._desk.record_recovery(
            request_id=request.request_id, name=request.name, amount=amount, costs=costs, value_date=value_date
        )
        a = result.amounts
        return pb.RecordRecoveryResponse(
            deal=dc.deal_out(result.deal),
            costs=dc.money_out(a.get("costs", 0)),
            principal=dc.money_out(a.get("principal", 0)),
            interest=dc.money_out(a.get("interest", 0)),
            pool_share=dc.money_out(a.get("pool_share", 0)),
            pool_set_off=dc.money_out(a.get("pool_set_off", 0)),
            insurer_share=dc.money_out(a.get("insurer_share", 0)),
            insurer_set_off=dc.money_out(a.get("insurer_set_off", 0)),
            bank_share=dc.money_out(a.get("bank_share", 0)),
            transaction=_transaction(result),
            off_balance_interest=dc.money_out(a.get("off_balance_interest", 0)),
            replayed=result.replayed,
        )

    def CloseDeal(self, request: pb.CloseDealRequest, context: grpc.ServicerContext) -> pb.CloseDealResponse:
        authz.own_deal(context, self._desk, request.name)
        result = self._desk.close(request_id=request.request_id, name=request.name)
        return pb.CloseDealResponse(deal=dc.deal_out(result.deal), replayed=result.replayed)

    # ------------------------------------------------------------------ compensation claims

    def GetClaim(self, request: pb.GetClaimRequest, context: grpc.ServicerContext) -> pb.GetClaimResponse:
        claim = self._desk.get_claim(request.name)
        authz.own_claim(context, claim)
        return pb.GetClaimResponse(claim=dc.claim_out(claim))

    def ListClaims(self, request: pb.ListClaimsRequest, context: grpc.ServicerContext) -> pb.ListClaimsResponse:
        errors = ViolationCollector()
        status = dc.enum_in(dc.CLAIM_STATUS, request.status, "status", errors, None)
        errors.raise_if_any()
        page = self._desk.list_claims(
            pool=request.risk_pool,
            branch=request.branch,
            status=status,
            parties_of=authz.scope(context),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListClaimsResponse(claims=[dc.claim_out(c) for c in page.items], next_page_token=page.next_page_token)

    def ApproveClaim(self, request: pb.ApproveClaimRequest, context: grpc.ServicerContext) -> pb.ApproveClaimResponse:
        authz.own_claim(context, self._desk.get_claim(request.name), pool_only=True)
        errors = ViolationCollector()
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        claim = self._desk.approve_claim(request_id=request.request_id, name=request.name, value_date=value_date)
        return pb.ApproveClaimResponse(claim=dc.claim_out(claim))

    def RejectClaim(self, request: pb.RejectClaimRequest, context: grpc.ServicerContext) -> pb.RejectClaimResponse:
        authz.own_claim(context, self._desk.get_claim(request.name), pool_only=True)
        errors = ViolationCollector()
        if len(request.reason) > 1024:
            errors.add("reason", "is longer than 1,024 characters")
        errors.raise_if_any()
        claim = self._desk.reject_claim(request_id=request.request_id, name=request.name, reason=request.reason)
        return pb.RejectClaimResponse(claim=dc.claim_out(claim))
