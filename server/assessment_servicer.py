"""AssessmentService: protobuf in, AssessmentDesk call, protobuf out; branch staff act for their own branch.

The assessing branch of RecordAssessment is the caller's branch for branch staff (a request naming another
branch is PERMISSION_DENIED), and must be named by an administrator. Reads are scoped the same way: branch
staff see only their own branch's assessments (another branch's is NOT_FOUND), auditors and
administrators every branch's (docs/assessment.md, "Who may call").
"""

from __future__ import annotations

import grpc

from deals.assessment.desk import AssessmentDesk
from deals.assessment.model import MODELS
from deals.assessment.records import Assessment, plain
from ledger import names
from ledger.db import as_utc
from ledger.errors import NotFound, ViolationCollector
from server import authz
from server.convert import date_out, optional_date_in
from server.deal_convert import STAGE, attribution_out
from toudai.v1 import assessment_pb2 as pb
from toudai.v1 import assessment_pb2_grpc as pb_grpc


def assessment_out(a: Assessment) -> pb.Assessment:
    model = MODELS.get(a.model)
    order = list(a.points) if model is None else [i.name for d in model.dimensions for i in d.indicators]
    dims = list(a.dimensions) if model is None else [d.name for d in model.dimensions]
    return pb.Assessment(
        name=a.name,
        branch=names.party_name(a.branch),
        borrower_uscc=a.borrower_uscc,
        as_of_date=date_out(a.as_of),
        model_version=a.model,
        indicators=[
            pb.IndicatorScore(name=n, value=plain(a.indicators[n]), points=plain(a.points[n]))
            for n in order
            if n in a.indicators
        ],
        dimensions=[pb.DimensionScore(name=n, score=plain(a.dimensions[n])) for n in dims if n in a.dimensions],
        total_score=format(a.total, "f"),
        tier=STAGE[a.tier],
        recorded_by=attribution_out(a.principal, a.role, a.request_id, as_utc(a.create_time)),
    )


class AssessmentServicer(pb_grpc.AssessmentServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.AssessmentService on an `AssessmentDesk`."""

    def __init__(self, desk: AssessmentDesk) -> None:
        self._desk = desk

    def RecordAssessment(
        self, request: pb.RecordAssessmentRequest, context: grpc.ServicerContext
    ) -> pb.RecordAssessmentResponse:
        authz.named_party_is_own(context, request.branch, "branch")
        own = authz.scope(context)
        branch = request.branch or (names.party_name(own) if own else "")
        errors = ViolationCollector()  # a malformed date joins the desk's checks of the rest
        as_of = optional_date_in(request, "as_of_date", "as_of_date", errors)
        found = self._desk.record(
            request_id=request.request_id,
            branch=branch,
            borrower_uscc=request.borrower_uscc,
            as_of=as_of,
            model_version=request.model_version,
            indicators=dict(request.indicators),
            errors=errors,
        )
        return pb.RecordAssessmentResponse(assessment=assessment_out(found))

    def GetAssessment(
        self, request: pb.GetAssessmentRequest, context: grpc.ServicerContext
    ) -> pb.GetAssessmentResponse:
        found = self._desk.get(request.name)
        own = authz.scope(context)
        if own is not None and found.branch != own:
            raise NotFound(request.name, "assessment")
        return pb.GetAssessmentResponse(assessment=assessment_out(found))

    def ListAssessments(
        self, request: pb.ListAssessmentsRequest, context: grpc.ServicerContext
    ) -> pb.ListAssessmentsResponse:
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of_date", "as_of_date", errors)
        branch: str | None = None
        if request.branch:
            try:
                branch = names.parse_party_name(request.branch)
            except names.BadName as exc:
                errors.add("branch", str(exc))
        errors.raise_if_any()
        own = authz.scope(context)
        if own is not None:
            if branch is not None and branch != own:
                return pb.ListAssessmentsResponse()  # another branch's: an empty answer, as lists are filtered
            branch = own
        found = self._desk.history(borrower_uscc=request.borrower_uscc, branch=branch, as_of=as_of)
        response = pb.ListAssessmentsResponse(assessments=[assessment_out(a) for a in found.assessments])
        if found.in_force is not None:
            response.in_force.CopyFrom(assessment_out(found.in_force))
        return response
