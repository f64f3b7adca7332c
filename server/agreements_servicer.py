"""AgreementService: protobuf in, AgreementDesk call, protobuf out; scoped to the caller's party."""

from __future__ import annotations

import grpc

from deals.agreements.desk import AgreementDesk
from deals.agreements.model import Agreement
from ledger.errors import NotFound, ViolationCollector
from server import agreement_convert as ac
from server import authz
from server import deal_convert as dc
from toudai.v1 import agreements_pb2 as pb
from toudai.v1 import agreements_pb2_grpc as pb_grpc


def _own(context: grpc.ServicerContext, agreement: Agreement, *, owner_only: bool = False) -> None:
    """The caller's party owns the agreement (or, for reads, is its counterparty); else NOT_FOUND."""
    party = authz.scope(context)
    if party is None or party == agreement.owner or (party == agreement.counterparty and not owner_only):
        return
    raise NotFound(agreement.name, "agreement")


class AgreementServicer(pb_grpc.AgreementServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.AgreementService on an `AgreementDesk`."""

    def __init__(self, desk: AgreementDesk) -> None:
        self._desk = desk

    def CreateAgreement(
        self, request: pb.CreateAgreementRequest, context: grpc.ServicerContext
    ) -> pb.CreateAgreementResponse:
        authz.named_party_is_own(context, request.agreement.owner, "agreement.owner")
        errors = ViolationCollector()
        draft = ac.draft_in(request.agreement, errors)
        errors.raise_if_any()
        agreement = self._desk.create(request_id=request.request_id, agreement_id=request.agreement_id, draft=draft)
        return pb.CreateAgreementResponse(agreement=ac.agreement_out(agreement))

    def AmendAgreement(
        self, request: pb.AmendAgreementRequest, context: grpc.ServicerContext
    ) -> pb.AmendAgreementResponse:
        _own(context, self._desk.get(request.name), owner_only=True)
        authz.named_party_is_own(context, request.agreement.owner, "agreement.owner")
        errors = ViolationCollector()
        draft = ac.draft_in(request.agreement, errors)
        errors.raise_if_any()
        agreement = self._desk.amend(request_id=request.request_id, name=request.name, draft=draft)
        return pb.AmendAgreementResponse(agreement=ac.agreement_out(agreement))

    def GetAgreement(self, request: pb.GetAgreementRequest, context: grpc.ServicerContext) -> pb.GetAgreementResponse:
        agreement = self._desk.get(request.name)
        _own(context, agreement)
        return pb.GetAgreementResponse(agreement=ac.agreement_out(agreement))

    def ListAgreements(
        self, request: pb.ListAgreementsRequest, context: grpc.ServicerContext
    ) -> pb.ListAgreementsResponse:
        errors = ViolationCollector()
        kind = dc.enum_in(ac.KIND, request.kind, "kind", errors, None)
        errors.raise_if_any()
        page = self._desk.list_agreements(
            owner=request.owner,
            counterparty=request.counterparty,
            kind=kind,
            parties_of=authz.scope(context),
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return pb.ListAgreementsResponse(
            agreements=[ac.agreement_out(a) for a in page.items], next_page_token=page.next_page_token
        )
