"""Loan classification (五级分类) over real gRPC, on SQLite and PostgreSQL (issue 17, part).

The loan, worked by hand: 1,000,000.00 at 3.60 % ACT/360 from 15 Jan 2025 to 15 Jan 2026, interest
monthly on the 15th, unadjusted, bullet, no subsidy: 1,000,000.00 × 3.6 % / 360 = 100.00 a day. The
borrower pays the first period, 15 Jan → 15 Feb, 31 days = 3,100.00, on 15 Feb, then nothing: the 15 Mar
instalment (28 days, 2,800.00) is the oldest unpaid, so days past due as of D are D − 15 Mar.
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from ledger.store import Ledger
from tests.integration.authz_world import reason_of
from tests.integration.deals_world import (
    ARM,
    BANK,
    PARTIES,
    POOL,
    Deals,
    Stub,
    cny,
    create_parties,
    date,
    deal_terms,
    refused,
)
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import credit_pb2_grpc
from toudai.v1 import deals_pb2 as dpb

NAME = "deals/slow-payer"
AS_CLERK = (("x-toudai-principal", "clerk-wang"),)
AS_CHECKER = (("x-toudai-principal", "checker-li"),)


@pytest.fixture
def credit(channel: grpc.Channel) -> Any:
    return credit_pb2_grpc.CreditServiceStub(channel)


def _loan(stub: Stub, deals: Deals) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-01-15",
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    terms.risk_sharing.insurer = ""
    terms.risk_sharing.insurer_rate = ""
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="b", deal_id="slow-payer", terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=NAME))
    paid = deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r1", name=NAME, amount=cny("3100.00"), value_date=date("2025-02-15"))
    )
    assert (paid.interest.units, paid.principal.units) == (3100, 0)  # exactly the first period's interest


def _as_of(credit: Any, day: str) -> Any:
    return credit.GetDealClassification(cpb.GetDealClassificationRequest(name=NAME, as_of_date=date(day)))


def test_days_past_due_drive_the_category_as_of_any_date(stub: Stub, deals: Deals, credit: Any) -> None:
    _loan(stub, deals)
    expected = [
        ("2025-03-15", 0, cpb.LOAN_CATEGORY_NORMAL),  # the instalment is due today: not past due
        ("2025-03-16", 1, cpb.LOAN_CATEGORY_SPECIAL_MENTION),
        ("2025-06-13", 90, cpb.LOAN_CATEGORY_SPECIAL_MENTION),  # 15 Mar + 90 days
        ("2025-06-14", 91, cpb.LOAN_CATEGORY_SUBSTANDARD),
        ("2025-12-10", 270, cpb.LOAN_CATEGORY_SUBSTANDARD),
        ("2025-12-11", 271, cpb.LOAN_CATEGORY_DOUBTFUL),
        ("2026-03-10", 360, cpb.LOAN_CATEGORY_DOUBTFUL),  # 15 Mar 2025 + 360 days
        ("2026-03-11", 361, cpb.LOAN_CATEGORY_LOSS),
    ]
    for day, days, category in expected:
        found = _as_of(credit, day).classification
        assert (found.days_past_due, found.category) == (days, category), day
        assert found.non_performing is (category >= cpb.LOAN_CATEGORY_SUBSTANDARD)


def test_a_run_records_history_and_replays(stub: Stub, deals: Deals, credit: Any, ledger: Ledger) -> None:
    _loan(stub, deals)
    request = cpb.ReclassifyDealsRequest(
        request_id="month-end-apr", branch=f"parties/{BANK}", as_of_date=date("2025-04-30")
    )
    run = credit.ReclassifyDeals(request)
    assert [(c.deal, c.days_past_due, c.category) for c in run.classifications] == [
        (NAME, 46, cpb.LOAN_CATEGORY_SPECIAL_MENTION)  # 15 Mar → 30 Apr
    ]
    assert credit.ReclassifyDeals(request) == run  # a retry replays the recorded run
    reused = cpb.ReclassifyDealsRequest(
        request_id="month-end-apr", branch=f"parties/{BANK}", as_of_date=date("2025-05-31")
    )
    assert (
        reason_of(refused(credit.ReclassifyDeals, reused, grpc.StatusCode.ALREADY_EXISTS, ledger))
        == "REQUEST_ID_REUSED"
    )
    credit.ReclassifyDeals(
        cpb.ReclassifyDealsRequest(request_id="month-end-jun", branch=f"parties/{BANK}", as_of_date=date("2025-06-30"))
    )
    history = _as_of(credit, "2025-07-01").history
    assert [(h.as_of_date.month, h.days_past_due, h.category) for h in history] == [
        (4, 46, cpb.LOAN_CATEGORY_SPECIAL_MENTION),
        (6, 107, cpb.LOAN_CATEGORY_SUBSTANDARD),  # 15 Mar → 30 Jun
    ]
    assert [h.as_of_date.month for h in _as_of(credit, "2025-05-01").history] == [4]  # history as of a date
    # Nothing else of the branch was open, and a run for a day before the disbursement finds nothing.
    early = credit.ReclassifyDeals(
        cpb.ReclassifyDealsRequest(request_id="before", branch=f"parties/{BANK}", as_of_date=date("2025-01-14"))
    )
    assert list(early.classifications) == []


def test_paying_up_cures_only_after_the_cure_period(stub: Stub, deals: Deals, credit: Any) -> None:
    _loan(stub, deals)
    # On 20 Jun the borrower pays 15 Mar to 15 Jun: 2,800.00 + 3,100.00 + 3,000.00 + 3,100.00 = 12,000.00 of
    # interest. The loan has been on non-accrual since 14 Jun (91 days past due): the repayment accrues
    # 15 Feb → 14 Jun on the books (119 days, 11,900.00), moves those unpaid 11,900.00 off balance sheet on
    # 14 Jun, and tracks 14 → 20 Jun there (6 days, 600.00): 12,500.00 off balance sheet. The 12,000.00
    # pays off-balance interest (income on receipt); it brings the loan current, so the 500.00 left
    # (15-20 Jun) returns to the books and the loan accrues again.
    paid = deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r2", name=NAME, amount=cny("12000.00"), value_date=date("2025-06-20"))
    )
    assert (paid.overdue_interest.units, paid.off_balance_interest.units, paid.principal.units) == (0, 12000, 0)
    assert paid.accrual_resumed.units == 500
    assert not paid.deal.HasField("non_accrual_since")
    assert (paid.deal.interest_receivable.units, paid.deal.off_balance_interest.units) == (500, 0)
    assert _as_of(credit, "2025-06-20").classification.days_past_due == 0
    # 19 Jun was 96 days past due (substandard); the 90-day window keeps it until 16 Sep (16 Sep − 89 days
    # = 19 Jun) provided the July, August and September instalments are paid on their dates.
    for request_id, amount, day in (("r3", "3000.00", "2025-07-15"), ("r4", "3100.00", "2025-08-15")):
        deals.RecordRepayment(
            dpb.RecordRepaymentRequest(request_id=request_id, name=NAME, amount=cny(amount), value_date=date(day))
        )
    # Each pays exactly the interest accrued since the last payment: 20 Jun → 15 Jul is 25 days (2,500.00)
    # plus the 500.00 of 15-20 Jun left owing = 3,000.00; then 31 days = 3,100.00 twice.
    deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r5", name=NAME, amount=cny("3100.00"), value_date=date("2025-09-15"))
    )
    on_16 = _as_of(credit, "2025-09-16").classification
    assert (on_16.days_past_due, on_16.category_by_days, on_16.category) == (
        0,
        cpb.LOAN_CATEGORY_NORMAL,
        cpb.LOAN_CATEGORY_SUBSTANDARD,
    )
    assert "cure" in on_16.reason
    assert _as_of(credit, "2025-09-17").classification.category == cpb.LOAN_CATEGORY_NORMAL


def test_a_manual_downgrade_needs_a_second_person(stub: Stub, deals: Deals, credit: Any, ledger: Ledger) -> None:
    _loan(stub, deals)
    ask = cpb.RequestClassificationOverrideRequest(
        request_id="o1",
        name=NAME,
        category=cpb.LOAN_CATEGORY_DOUBTFUL,
        reason="the borrower's main customer went bankrupt",
        effective_date=date("2025-03-01"),
    )
    pending = credit.RequestClassificationOverride(ask, metadata=AS_CLERK).override
    assert (pending.name, pending.status, pending.requested_by.principal) == (
        f"{NAME}/overrides/1",
        cpb.OVERRIDE_STATUS_PENDING,
        "clerk-wang",
    )
    assert _as_of(credit, "2025-03-10").classification.category == cpb.LOAN_CATEGORY_NORMAL  # not yet in force
    own = cpb.ApproveClassificationOverrideRequest(request_id="a1", name=pending.name)
    error = refused(
        lambda r: credit.ApproveClassificationOverride(r, metadata=AS_CLERK),
        own,
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert reason_of(error) == "FOUR_EYES"
    approved = credit.ApproveClassificationOverride(own, metadata=AS_CHECKER).override
    assert (approved.status, approved.decided_by.principal) == (cpb.OVERRIDE_STATUS_APPROVED, "checker-li")
    before, after = _as_of(credit, "2025-02-28").classification, _as_of(credit, "2025-03-10").classification
    assert before.category == cpb.LOAN_CATEGORY_NORMAL  # the override holds from its effective date only
    assert (after.category, after.override_category, after.days_past_due) == (
        cpb.LOAN_CATEGORY_DOUBTFUL,
        cpb.LOAN_CATEGORY_DOUBTFUL,
        0,
    )
    # Lifting it is an override to NORMAL, approved the same way; days past due still count.
    lift = credit.RequestClassificationOverride(
        cpb.RequestClassificationOverrideRequest(
            request_id="o2",
            name=NAME,
            category=cpb.LOAN_CATEGORY_NORMAL,
            reason="customer replaced",
            effective_date=date("2025-04-01"),
        ),
        metadata=AS_CHECKER,
    ).override
    credit.ApproveClassificationOverride(
        cpb.ApproveClassificationOverrideRequest(request_id="a2", name=lift.name), metadata=AS_CLERK
    )
    lifted = _as_of(credit, "2025-04-10").classification
    assert (lifted.category, lifted.days_past_due) == (cpb.LOAN_CATEGORY_SPECIAL_MENTION, 26)  # 15 Mar → 10 Apr
    assert [
        o.status
        for o in credit.ListClassificationOverrides(cpb.ListClassificationOverridesRequest(name=NAME)).overrides
    ] == [
        cpb.OVERRIDE_STATUS_APPROVED,
        cpb.OVERRIDE_STATUS_APPROVED,
    ]
    decided = cpb.RejectClassificationOverrideRequest(request_id="x", name=lift.name)
    assert (
        reason_of(
            refused(
                lambda r: credit.RejectClassificationOverride(r, metadata=AS_CHECKER),
                decided,
                grpc.StatusCode.FAILED_PRECONDITION,
                ledger,
            )
        )
        == "OVERRIDE_DECIDED"
    )


def test_bad_requests_name_the_field(stub: Stub, deals: Deals, credit: Any, ledger: Ledger) -> None:
    _loan(stub, deals)
    no_reason = cpb.RequestClassificationOverrideRequest(request_id="o", name=NAME, category=cpb.LOAN_CATEGORY_LOSS)
    error = refused(credit.RequestClassificationOverride, no_reason, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    assert "reason" in (error.details() or "")
    no_category = cpb.RequestClassificationOverrideRequest(request_id="o", name=NAME, reason="r")
    assert "category" in (
        refused(credit.RequestClassificationOverride, no_category, grpc.StatusCode.INVALID_ARGUMENT, ledger).details()
        or ""
    )
    missing = cpb.GetDealClassificationRequest(name="deals/nope")
    with pytest.raises(grpc.RpcError) as caught:
        credit.GetDealClassification(missing)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    bad_name = cpb.ApproveClassificationOverrideRequest(request_id="a", name=f"{NAME}/overrides/x")
    assert refused(credit.ApproveClassificationOverride, bad_name, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    unknown = cpb.ReclassifyDealsRequest(request_id="r", branch="parties/no-such-branch")
    assert refused(credit.ReclassifyDeals, unknown, grpc.StatusCode.NOT_FOUND, ledger)
