"""Indicator sets of the assessment tests, each hand-scored in docs/assessment.md and
tests/unit/deals/test_assessment_model.py, and a helper that records one over gRPC."""

from __future__ import annotations

from typing import Any

from toudai.v1 import assessment_pb2 as apb
from toudai.v1 import assessment_pb2_grpc
from toudai.v1 import deals_pb2 as dpb

#: Total 65.88: growth (the docs' worked example).
GROWTH = {
    "rd_intensity": "0.08",
    "invention_patents": "3",
    "rd_staff_share": "0.30",
    "revenue_growth": "0.25",
    "gross_margin": "0.40",
    "financing_24m": "8000000",
    "revenue_cagr": "0.20",
    "specialized_level": "2",
    "high_tech_enterprise": "1",
    "standards_drafted": "1",
}
#: Total 97.00: mature.
MATURE = {
    "rd_intensity": "0.12",
    "invention_patents": "6",
    "rd_staff_share": "0.45",
    "revenue_growth": "0.60",
    "gross_margin": "0.55",
    "financing_24m": "25000000",
    "revenue_cagr": "0.45",
    "specialized_level": "3",
    "high_tech_enterprise": "1",
    "standards_drafted": "2",
}
#: Total 15.60: start-up.
START_UP = {
    "rd_intensity": "0.05",
    "invention_patents": "1",
    "rd_staff_share": "0.20",
    "revenue_growth": "-0.10",
    "gross_margin": "0.15",
    "financing_24m": "0",
    "revenue_cagr": "0",
    "specialized_level": "0",
    "high_tech_enterprise": "0",
    "standards_drafted": "0",
}


def record(
    channel: Any, request_id: str, branch: str, uscc: str, as_of: str, indicators: dict[str, str]
) -> apb.Assessment:
    from google.type import date_pb2

    y, m, d = (int(x) for x in as_of.split("-"))
    stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
    return stub.RecordAssessment(
        apb.RecordAssessmentRequest(
            request_id=request_id,
            branch=branch,
            borrower_uscc=uscc,
            as_of_date=date_pb2.Date(year=y, month=m, day=d),
            indicators=indicators,
        )
    ).assessment


__all__ = ["GROWTH", "MATURE", "START_UP", "dpb", "record"]
