"""CreditService: protobuf in, CreditDesk call, protobuf out; scoped to the caller's party."""

from __future__ import annotations

import grpc

from deals.credit.desk import CreditDesk, parse_override_name
from deals.desk import DealDesk
from ledger.db import as_utc
from ledger.errors import NotFound, ViolationCollector
from server import authz
from server import credit_convert as cc
from server.convert import optional_date_in
from server.deal_convert import attribution_out
from toudai.v1 import credit_pb2 as pb
from toudai.v1 import credit_pb2_grpc as pb_grpc


class CreditServicer(pb_grpc.CreditServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.CreditService on a `CreditDesk` (a `DealDesk` decides whose deal it is)."""

    def __init__(self, desk: CreditDesk, deals: DealDesk) -> None:
        self._desk = desk
        self._deals = deals

    def ReclassifyDeals(
        self, request: pb.ReclassifyDealsRequest, context: grpc.ServicerContext
    ) -> pb.ReclassifyDealsResponse:
        authz.named_party_is_own(context, request.branch, "branch")
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of_date", "as_of_date", errors)
        if not request.branch:
            errors.add("branch", "is required: parties/{party} of the branch")
        errors.raise_if_any()
        run = self._desk.reclassify(request_id=request.request_id, branch=request.branch, as_of=as_of)
        return pb.ReclassifyDealsResponse(
            run=run.name,
            as_of_date=cc.date_out(run.as_of),
            classifications=[cc.classification_out(f"deals/{deal}", c) for deal, c in run.deals],
            run_by=attribution_out(run.principal, run.role, run.request_id, as_utc(run.create_time)),
        )

    def GetDealClassification(
        self, request: pb.GetDealClassificationRequest, context: grpc.ServicerContext
    ) -> pb.GetDealClassificationResponse:
        authz.own_deal(context, self._deals, request.name)
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of_date", "as_of_date", errors)
        errors.raise_if_any()
        found = self._desk.classification(request.name, as_of)
        return pb.GetDealClassificationResponse(
            classification=cc.classification_out(found.deal, found.classification),
            history=[cc.record_out(e) for e in found.history],
        )

    def RequestClassificationOverride(
        self, request: pb.RequestClassificationOverrideRequest, context: grpc.ServicerContext
    ) -> pb.RequestClassificationOverrideResponse:
        authz.own_deal(context, self._deals, request.name)
        errors = ViolationCollector()
        category = cc.category_in(request.category, "category", errors)
        effective = optional_date_in(request, "effective_date", "effective_date", errors)
        errors.raise_if_any()
        override = self._desk.request_override(
            request_id=request.request_id,
            name=request.name,
            category=category,
            reason=request.reason,
            effective_from=effective,
        )
        return pb.RequestClassificationOverrideResponse(override=cc.override_out(override))

    def ApproveClassificationOverride(
        self, request: pb.ApproveClassificationOverrideRequest, context: grpc.ServicerContext
    ) -> pb.ApproveClassificationOverrideResponse:
        self._own_override(context, request.name)
        override = self._desk.decide_override(
            request_id=request.request_id, name=request.name, approve=True, note=request.note
        )
        return pb.ApproveClassificationOverrideResponse(override=cc.override_out(override))

    def RejectClassificationOverride(
        self, request: pb.RejectClassificationOverrideRequest, context: grpc.ServicerContext
    ) -> pb.RejectClassificationOverrideResponse:
        self._own_override(context, request.name)
        override = self._desk.decide_override(
            request_id=request.request_id, name=request.name, approve=False, note=request.note
        )
        return pb.RejectClassificationOverrideResponse(override=cc.override_out(override))

    def ListClassificationOverrides(
        self, request: pb.ListClassificationOverridesRequest, context: grpc.ServicerContext
    ) -> pb.ListClassificationOverridesResponse:
        authz.own_deal(context, self._deals, request.name)
        return pb.ListClassificationOverridesResponse(
            overrides=[cc.override_out(o) for o in self._desk.overrides(request.name)]
        )

    def RunImpairment(
        self, request: pb.RunImpairmentRequest, context: grpc.ServicerContext
    ) -> pb.RunImpairmentResponse:
        authz.named_party_is_own(context, request.branch, "branch")
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of_date", "as_of_date", errors)
        if not request.branch:
            errors.add("branch", "is required: parties/{party} of the branch")
        errors.raise_if_any()
        run = self._desk.run_impairment(request_id=request.request_id, branch=request.branch, as_of=as_of)
        return pb.RunImpairmentResponse(run=cc.impairment_out(run))

    def GetImpairmentRun(
        self, request: pb.GetImpairmentRunRequest, context: grpc.ServicerContext
    ) -> pb.GetImpairmentRunResponse:
        run = self._desk.impairment_run(request.name)
        party = authz.scope(context)
        if party is not None and party != run.branch:
            raise NotFound(request.name, "impairment run")
        return pb.GetImpairmentRunResponse(run=cc.impairment_out(run))

    def _own_override(self, context: grpc.ServicerContext, name: str) -> None:
        deal_id, _ = parse_override_name(name, "name")
        authz.own_deal(context, self._deals, f"deals/{deal_id}")
