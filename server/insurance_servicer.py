"""InsuranceService over DealDesk: the insurer's claims staff decide and pay its claims (deals.insurance).

Scoped callers see a claim when it is theirs: the insurer's staff their insurer's claims, branch staff
their branch's; only the claim's insurer decides and pays it (anyone else: NOT_FOUND, existence does not
leak).
"""

from __future__ import annotations

import grpc

from deals.desk import DealDesk
from deals.insurance import InsuranceClaim, InsuranceStatus
from ledger.errors import NotFound, ViolationCollector
from server import authz
from server import deal_convert as dc
from server.convert import date_out, optional_date_in
from toudai.v1 import insurance_pb2 as pb
from toudai.v1 import insurance_pb2_grpc as pb_grpc

STATUS = {
    InsuranceStatus.PENDING: pb.INSURANCE_CLAIM_STATUS_PENDING,
    InsuranceStatus.APPROVED: pb.INSURANCE_CLAIM_STATUS_APPROVED,
    InsuranceStatus.REJECTED: pb.INSURANCE_CLAIM_STATUS_REJECTED,
    InsuranceStatus.SETTLED: pb.INSURANCE_CLAIM_STATUS_SETTLED,
}


def claim_out(claim: InsuranceClaim) -> pb.InsuranceClaim:
    filed_principal, filed_role, filed_request = claim.filed_by
    decided = claim.decided_by
    return pb.InsuranceClaim(
        name=claim.name,
        deal=f"deals/{claim.deal_id}",
        insurer=f"parties/{claim.insurer}",
        branch=f"parties/{claim.branch}",
        status=STATUS[claim.status],
        loss=dc.money_out(claim.loss),
        rate=dc.text_out(claim.rate),
        amount=dc.money_out(claim.amount),
        settled=dc.money_out(claim.settled),
        value_date=date_out(claim.value_date),
        decision_date=date_out(claim.decision_date) if claim.decision_date else None,
        filed_by=dc.attribution_out(filed_principal, filed_role, filed_request, claim.filed_at),
        decided_by=dc.attribution_out(decided[0], decided[1], decided[2], claim.decided_at) if decided else None,
        reason=claim.reason,
        transaction=claim.transaction,
    )


def _own(context: grpc.ServicerContext, claim: InsuranceClaim, *, insurer_only: bool = False) -> None:
    """The claim is the caller's: its insurer or, unless `insurer_only`, its branch; else NOT_FOUND."""
    party = authz.scope(context)
    if party is None or party == claim.insurer or (party == claim.branch and not insurer_only):
        return
    raise NotFound(claim.name, "insurance claim")


class InsuranceServicer(pb_grpc.InsuranceServiceServicer):  # type: ignore[misc]
    def __init__(self, desk: DealDesk) -> None:
        self._desk = desk

    def GetInsuranceClaim(
        self, request: pb.GetInsuranceClaimRequest, context: grpc.ServicerContext
    ) -> pb.GetInsuranceClaimResponse:
        claim = self._desk.get_insurance_claim(request.name)
        _own(context, claim)
        return pb.GetInsuranceClaimResponse(claim=claim_out(claim))

    def ListInsuranceClaims(
        self, request: pb.ListInsuranceClaimsRequest, context: grpc.ServicerContext
    ) -> pb.ListInsuranceClaimsResponse:
        errors = ViolationCollector()
        status = dc.enum_in(STATUS, request.status, "status", errors, None)
        errors.raise_if_any()
        page = self._desk.list_insurance_claims(
            insurer=request.insurer,
            branch=request.branch,
            status=status,
            parties_of=authz.scope(context),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListInsuranceClaimsResponse(
            claims=[claim_out(c) for c in page.items], next_page_token=page.next_page_token
        )

    def ApproveInsuranceClaim(
        self, request: pb.ApproveInsuranceClaimRequest, context: grpc.ServicerContext
    ) -> pb.ApproveInsuranceClaimResponse:
        _own(context, self._desk.get_insurance_claim(request.name), insurer_only=True)
        errors = ViolationCollector()
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        claim = self._desk.approve_insurance_claim(
            request_id=request.request_id, name=request.name, value_date=value_date
        )
        return pb.ApproveInsuranceClaimResponse(claim=claim_out(claim))

    def RejectInsuranceClaim(
        self, request: pb.RejectInsuranceClaimRequest, context: grpc.ServicerContext
    ) -> pb.RejectInsuranceClaimResponse:
        _own(context, self._desk.get_insurance_claim(request.name), insurer_only=True)
        errors = ViolationCollector()
        if len(request.reason) > 1024:
            errors.add("reason", "is longer than 1,024 characters")
        errors.raise_if_any()
        claim = self._desk.reject_insurance_claim(
            request_id=request.request_id, name=request.name, reason=request.reason
        )
        return pb.RejectInsuranceClaimResponse(claim=claim_out(claim))

    def SettleInsuranceClaim(
        self, request: pb.SettleInsuranceClaimRequest, context: grpc.ServicerContext
    ) -> pb.SettleInsuranceClaimResponse:
        _own(context, self._desk.get_insurance_claim(request.name), insurer_only=True)
        errors = ViolationCollector()
        amount = dc.money_in(request.amount, "amount", errors)
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        errors.raise_if_any()
        claim, result = self._desk.settle_insurance_claim(
            request_id=request.request_id, name=request.name, amount=amount, value_date=value_date
        )
        return pb.SettleInsuranceClaimResponse(
            claim=claim_out(claim),
            outstanding=dc.money_out(result.amounts.get("outstanding", 0)),
            transaction=result.transactions[0] if result.transactions else "",
        )
