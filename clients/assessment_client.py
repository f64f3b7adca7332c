"""AssessmentService calls for the CLI and Python callers: the four-dimension assessment of tech companies
(创新力, 竞争力, 进化力, 影响力) and the tier it gives (docs/assessment.md).

Plain Python values in (party ids or names, dates, indicator values as Decimal or decimal text), frozen
dataclasses out, tiers as lower-case words ("growth"), scores as Decimal. `demo_steps` records
assessments of the demo's borrowers, for `toudai demo`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from google.type import date_pb2

from clients.client import ToudaiClient, new_request_id
from toudai.v1 import assessment_pb2 as pb
from toudai.v1 import assessment_pb2_grpc as pb_grpc
from toudai.v1 import deals_pb2

__all__ = ["TIERS", "Assessment", "AssessmentClient", "AssessmentHistory", "demo_steps"]

TIERS = {
    deals_pb2.BORROWER_STAGE_START_UP: "start_up",
    deals_pb2.BORROWER_STAGE_GROWTH: "growth",
    deals_pb2.BORROWER_STAGE_MATURE: "mature",
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """A recorded assessment: raw values and points by indicator, scores by dimension, total and tier."""

    name: str
    branch: str
    borrower_uscc: str
    as_of: dt.date | None
    model_version: str
    indicators: dict[str, Decimal]
    points: dict[str, Decimal]
    dimensions: dict[str, Decimal]
    total_score: Decimal
    tier: str
    recorded_by: str
    request_id: str


@dataclass(frozen=True, slots=True)
class AssessmentHistory:
    """A borrower's assessments up to a date, oldest first, and the one in force then."""

    assessments: tuple[Assessment, ...]
    in_force: Assessment | None


def _date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _day(value: date_pb2.Date) -> dt.date | None:
    return dt.date(value.year, value.month, value.day) if value.year else None


def _party(value: str) -> str:
    return value if not value or value.startswith("parties/") else f"parties/{value}"


def _assessment(a: Any) -> Assessment:
    return Assessment(
        name=a.name,
        branch=a.branch,
        borrower_uscc=a.borrower_uscc,
        as_of=_day(a.as_of_date),
        model_version=a.model_version,
        indicators={i.name: Decimal(i.value) for i in a.indicators},
        points={i.name: Decimal(i.points) for i in a.indicators},
        dimensions={d.name: Decimal(d.score) for d in a.dimensions},
        total_score=Decimal(a.total_score) if a.total_score else Decimal(0),
        tier=TIERS.get(a.tier, ""),
        recorded_by=a.recorded_by.principal,
        request_id=a.recorded_by.request_id,
    )


class AssessmentClient:
    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub = client.stub(pb_grpc.AssessmentServiceStub)

    def record(
        self,
        borrower_uscc: str,
        as_of: dt.date,
        indicators: Mapping[str, Decimal | str | int],
        *,
        branch: str = "",
        model_version: str = "",
        request_id: str | None = None,
    ) -> Assessment:
        """Score and record an assessment; `branch` may be left out by branch staff (their own branch)."""
        request = pb.RecordAssessmentRequest(
            request_id=request_id or new_request_id(),
            branch=_party(branch),
            borrower_uscc=borrower_uscc,
            as_of_date=_date(as_of),
            model_version=model_version,
            indicators={k: v if isinstance(v, str) else str(v) for k, v in indicators.items()},
        )
        return _assessment(self._client.call(self._stub, "RecordAssessment", request).assessment)

    def get(self, name: str) -> Assessment:
        """`assessments/{uuid}` or the bare uuid."""
        full = name if name.startswith("assessments/") else f"assessments/{name}"
        return _assessment(
            self._client.call(self._stub, "GetAssessment", pb.GetAssessmentRequest(name=full)).assessment
        )

    def history(self, borrower_uscc: str, as_of: dt.date | None = None, *, branch: str = "") -> AssessmentHistory:
        request = pb.ListAssessmentsRequest(
            borrower_uscc=borrower_uscc, as_of_date=_date(as_of) if as_of else None, branch=_party(branch)
        )
        r = self._client.call(self._stub, "ListAssessments", request)
        return AssessmentHistory(
            tuple(_assessment(a) for a in r.assessments), _assessment(r.in_force) if r.HasField("in_force") else None
        )


#: The demo's borrowers at bank-hz (clients/demo.py) and their figures: 杭州云芯科技 (booked as growth)
#: assessed growth (65.88), then mature a year on (97.00); 杭州量子传感 (booked as start-up) assessed start-up.
_DEMO_GROWTH = {
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
_DEMO_MATURE = {
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
_DEMO_START_UP = {
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


def demo_steps(client: ToudaiClient) -> list[tuple[str, Callable[[], object]]]:
    """Steps for `toudai demo`: (what it shows, the call). Idempotent request ids ("demo:assessment:..."),
    so a rerun of the demo replays them. Record them before the deals are booked for the assessed tier to
    set the pool's tier rate (when the agreement states tier rates); the impairment uses the tier in force
    on its date either way."""
    assess = AssessmentClient(client)
    return [
        (
            "assess 杭州云芯科技 (91330106MA2H7K3C08) as of 2026-01-31: growth, 65.88",
            lambda: assess.record(
                "91330106MA2H7K3C08",
                dt.date(2026, 1, 31),
                _DEMO_GROWTH,
                branch="bank-hz",
                request_id="demo:assessment:hz:91330106MA2H7K3C08:2026-01-31",
            ),
        ),
        (
            "assess 杭州量子传感 (91330402MA2L6Q5E0F) as of 2026-05-31: start-up, 15.60",
            lambda: assess.record(
                "91330402MA2L6Q5E0F",
                dt.date(2026, 5, 31),
                _DEMO_START_UP,
                branch="bank-hz",
                request_id="demo:assessment:hz:91330402MA2L6Q5E0F:2026-05-31",
            ),
        ),
        (
            "reassess 杭州云芯科技 as of 2026-09-30: mature, 97.00 (the impairment's tier from then on)",
            lambda: assess.record(
                "91330106MA2H7K3C08",
                dt.date(2026, 9, 30),
                _DEMO_MATURE,
                branch="bank-hz",
                request_id="demo:assessment:hz:91330106MA2H7K3C08:2026-09-30",
            ),
        ),
        (
            "history of 杭州云芯科技 as of 2026-11-26",
            lambda: assess.history("91330106MA2H7K3C08", dt.date(2026, 11, 26), branch="bank-hz"),
        ),
    ]
