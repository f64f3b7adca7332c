"""Four-dimension assessments over real gRPC, on SQLite and PostgreSQL (issue 18, part 2): record, reproduce
from the record, history as of a date, and the tier feeding the pool's agreement and the impairment.

Hand figures (docs/assessment.md; tests/unit/deals/test_assessment_model.py works the scores out):
- A1, as of 31 Jan 2025, scores 15.60: start-up. A2, as of 30 Jun 2025, scores 97.00: mature.
- The pool's agreement pays 50 %, but 80 % for start-up and 40 % for mature borrowers. Every deal is booked
  with stage growth and leaves the rate to the agreement.
- `early` (loan from 3 Mar 2025, A1 in force): 80 %. `unrated` (another borrower, no assessment): its booked
  stage, growth, is not listed: 50 %. `late` (from 1 Jul 2025, A2 in force): 40 %; it defaults the day it is
  disbursed, losing its 1,000,000.00 principal: the pool owes 400,000.00.
- Impairment as of 30 Apr 2025 (2026-1 tables), undrawn commitments of 1,000,000.00 in stage 1:
  `early`, start-up (A1): LGD 65 % → 650,000.00, cover 80 % = 520,000.00, 4.0 % × 130,000.00 = 5,200.00;
  `unrated`, growth (booked): LGD 60 % → 600,000.00, cover 50 % = 300,000.00, 2.5 % × 300,000.00 = 7,500.00.
- As of 31 Jul 2025 A2 is in force: `early` is mature: LGD 55 % → 550,000.00, its booked cover 80 % =
  440,000.00, 1.5 % × 110,000.00 = 1,650.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from deals.assessment.model import MODELS, score
from ledger.store import Ledger
from tests.agreements_world import FROM, _cny, _date
from tests.integration.assessment_world import MATURE, START_UP
from tests.integration.deals_world import (
    ARM,
    BANK,
    POOL,
    USCC_A,
    USCC_B,
    Deals,
    Stub,
    create_parties,
    date,
    deal_terms,
    refused,
    reused,
    yuan,
)
from toudai.v1 import agreements_pb2 as agpb
from toudai.v1 import agreements_pb2_grpc, assessment_pb2_grpc, credit_pb2_grpc
from toudai.v1 import assessment_pb2 as apb
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb


@pytest.fixture
def assess(channel: grpc.Channel) -> Any:
    return assessment_pb2_grpc.AssessmentServiceStub(channel)


def _request(request_id: str, uscc: str, as_of: str, indicators: dict[str, str]) -> apb.RecordAssessmentRequest:
    return apb.RecordAssessmentRequest(
        request_id=request_id,
        branch=f"parties/{BANK}",
        borrower_uscc=uscc,
        as_of_date=date(as_of),
        indicators=indicators,
    )


def _world(stub: Stub, channel: grpc.Channel) -> None:
    """The branch and the arm (with their linkage agreement), and a pool whose agreement pays by tier."""
    create_parties(stub, {BANK: pb.PARTY_KIND_BANK_BRANCH, ARM: pb.PARTY_KIND_INVESTMENT_ARM})
    stub.CreateParty(
        pb.CreatePartyRequest(request_id="party-pool", party_id=POOL, display_name=POOL, kind=pb.PARTY_KIND_RISK_POOL)
    )
    agreements_pb2_grpc.AgreementServiceStub(channel).CreateAgreement(
        agpb.CreateAgreementRequest(
            request_id="sign-tiers",
            agreement_id="rsa-tiers",
            agreement=agpb.Agreement(
                kind=agpb.AGREEMENT_KIND_RISK_SHARING,
                owner=f"parties/{POOL}",
                counterparty=f"parties/{BANK}",
                effective_from=_date(FROM),
                risk_sharing=agpb.RiskSharingAgreement(
                    base_rate="0.50",
                    tier_rates=[
                        agpb.TierRate(tier=dpb.BORROWER_STAGE_START_UP, rate="0.80"),
                        agpb.TierRate(tier=dpb.BORROWER_STAGE_MATURE, rate="0.40"),
                    ],
                    auto_approval_limit=_cny("100000000.00"),
                ),
            ),
        )
    )


def _book(deals: Deals, deal_id: str, uscc: str, start: str, maturity: str) -> dpb.Deal:
    terms = deal_terms(
        uscc=uscc,
        principal="1000000.00",
        rate="0.036",
        start=start,
        maturity=maturity,
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}"),
    )
    request = dpb.BookLinkedDealRequest(request_id=f"b-{deal_id}", deal_id=deal_id, terms=terms)
    return deals.BookLinkedDeal(request).deal


def _field_paths(error: grpc.RpcError) -> set[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: set[str] = set()
    for detail in status.details if status else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found |= {v.field for v in bad.field_violations}
    return found


def test_record_reproduce_and_replay(stub: Stub, channel: grpc.Channel, assess: Any, ledger: Ledger) -> None:
    _world(stub, channel)
    request = _request("assess-1", USCC_A, "2025-01-31", START_UP)
    first = assess.RecordAssessment(request).assessment
    assert (first.total_score, first.tier, first.model_version) == ("15.60", dpb.BORROWER_STAGE_START_UP, "2026-1")
    assert {d.name: d.score for d in first.dimensions} == {
        "innovation": "39.5",
        "competitiveness": "15",
        "growth_capacity": "0",
        "influence": "0",
    }
    assert (first.branch, first.recorded_by.principal, first.recorded_by.request_id) == (
        f"parties/{BANK}",
        "dev-admin",
        "assess-1",
    )
    # The record reproduces itself: the model version it names, on the values it recorded.
    recorded = assess.GetAssessment(apb.GetAssessmentRequest(name=first.name)).assessment
    assert recorded == first
    again = score(MODELS[recorded.model_version], {i.name: Decimal(i.value) for i in recorded.indicators})
    assert {i.name: Decimal(i.points) for i in recorded.indicators} == again.points
    assert {d.name: Decimal(d.score) for d in recorded.dimensions} == again.dimensions
    assert (Decimal(recorded.total_score), recorded.tier) == (again.total, dpb.BORROWER_STAGE_START_UP)
    # Idempotent by request id; the same id with other figures is ALREADY_EXISTS and changes nothing.
    assert assess.RecordAssessment(request).assessment == first
    reused(assess.RecordAssessment, _request("assess-1", USCC_A, "2025-01-31", MATURE), ledger)
    # History as of a date, and the one in force.
    second = assess.RecordAssessment(_request("assess-2", USCC_A, "2025-06-30", MATURE)).assessment
    assert (second.total_score, second.tier) == ("97.00", dpb.BORROWER_STAGE_MATURE)
    before = assess.ListAssessments(apb.ListAssessmentsRequest(borrower_uscc=USCC_A, as_of_date=date("2025-06-29")))
    assert ([a.name for a in before.assessments], before.in_force.name) == ([first.name], first.name)
    every = assess.ListAssessments(apb.ListAssessmentsRequest(borrower_uscc=USCC_A))
    assert ([a.name for a in every.assessments], every.in_force.name) == ([first.name, second.name], second.name)
    none = assess.ListAssessments(apb.ListAssessmentsRequest(borrower_uscc=USCC_A, as_of_date=date("2025-01-30")))
    assert (list(none.assessments), none.HasField("in_force")) == ([], False)


def test_bad_input_is_refused_with_every_field(stub: Stub, channel: grpc.Channel, assess: Any, ledger: Ledger) -> None:
    _world(stub, channel)
    bad = dict(START_UP)
    del bad["gross_margin"]
    bad.update(invention_patents="-2", rd_intensity="8%", staff_count="12", revenue_growth="1e3")
    request = apb.RecordAssessmentRequest(
        request_id="assess-bad",
        branch=f"parties/{BANK}",
        borrower_uscc="91350100M000100Y44",  # wrong check character
        model_version="1999-9",
        indicators=bad,
    )
    error = refused(assess.RecordAssessment, request, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    assert _field_paths(error) == {"borrower_uscc", "as_of_date", "model_version"}  # no model: no indicator checks
    request.model_version = ""
    request.as_of_date.CopyFrom(date("2025-01-31"))
    error = refused(assess.RecordAssessment, request, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    assert _field_paths(error) == {
        "borrower_uscc",
        "indicators[gross_margin]",
        "indicators[invention_patents]",
        "indicators[rd_intensity]",
        "indicators[staff_count]",
        "indicators[revenue_growth]",
    }
    missing = apb.GetAssessmentRequest(name="assessments/not-a-uuid")
    assert _field_paths(refused(assess.GetAssessment, missing, grpc.StatusCode.INVALID_ARGUMENT, ledger)) == {"name"}
    unknown = apb.GetAssessmentRequest(name="assessments/00000000-0000-4000-8000-000000000000")
    refused(assess.GetAssessment, unknown, grpc.StatusCode.NOT_FOUND, ledger)


def test_the_tier_sets_the_pool_rate_and_the_impairment_row(
    stub: Stub, channel: grpc.Channel, assess: Any, deals: Deals
) -> None:
    _world(stub, channel)
    a1 = assess.RecordAssessment(_request("assess-1", USCC_A, "2025-01-31", START_UP)).assessment
    early = _book(deals, "early", USCC_A, "2025-03-03", "2026-03-03")
    unrated = _book(deals, "unrated", USCC_B, "2025-03-03", "2026-03-03")
    assert (early.terms.risk_sharing.base_rate, early.assessment, early.assessment_tier, early.assessment_score) == (
        "0.8",
        a1.name,
        dpb.BORROWER_STAGE_START_UP,
        "15.60",
    )
    assert (unrated.terms.risk_sharing.base_rate, unrated.assessment, unrated.assessment_tier) == (
        "0.5",
        "",
        dpb.BORROWER_STAGE_UNSPECIFIED,
    )
    got = deals.GetDeal(dpb.GetDealRequest(name="deals/early")).deal
    assert (got.assessment, got.assessment_score) == (a1.name, "15.60")

    credit = credit_pb2_grpc.CreditServiceStub(channel)
    april = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-apr", branch=f"parties/{BANK}", as_of_date=date("2025-04-30"))
    ).run
    lines = {line.deal: line for line in april.lines}
    assert [
        (line.tier, line.assessment, line.probability_of_default, yuan(line.cover), yuan(line.expected_credit_loss))
        for line in (lines["deals/early"], lines["deals/unrated"])
    ] == [
        ("start_up", a1.name, "0.040", Decimal("520000.00"), Decimal("5200.00")),
        ("growth", "", "0.025", Decimal("300000.00"), Decimal("7500.00")),
    ]

    # Reassessed mature from 30 Jun: a loan starting after it gets the mature rate, 40 %.
    a2 = assess.RecordAssessment(_request("assess-2", USCC_A, "2025-06-30", MATURE)).assessment
    late = _book(deals, "late", USCC_A, "2025-07-01", "2026-07-01")
    assert (late.terms.risk_sharing.base_rate, late.assessment, late.assessment_tier, late.assessment_score) == (
        "0.4",
        a2.name,
        dpb.BORROWER_STAGE_MATURE,
        "97.00",
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d-late", name="deals/late"))
    default = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x-late", name="deals/late", value_date=date("2025-07-01"))
    )
    assert yuan(default.loss) == Decimal("1000000.00")
    owed = yuan(default.compensation_paid) + yuan(default.compensation_claim) + yuan(default.compensation_pending)
    assert owed == Decimal("400000.00")  # 1,000,000.00 × 40 %; at the start-up tier's 80 % it would be 800,000.00
    # The impairment's tier follows the assessment in force on its date: mature for `early` from 30 Jun, while
    # its compensation stays what it was booked with.
    july = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-jul", branch=f"parties/{BANK}", as_of_date=date("2025-07-31"))
    ).run
    line = next(x for x in july.lines if x.deal == "deals/early")
    assert (line.tier, line.assessment, line.probability_of_default, line.loss_given_default) == (
        "mature",
        a2.name,
        "0.015",
        "0.55",
    )
    assert (yuan(line.cover), yuan(line.expected_credit_loss)) == (Decimal("440000.00"), Decimal("1650.00"))
    recorded = credit.GetImpairmentRun(cpb.GetImpairmentRunRequest(name=july.name)).run
    assert next(x for x in recorded.lines if x.deal == "deals/early").assessment == a2.name
