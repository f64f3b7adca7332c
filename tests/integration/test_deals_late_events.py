"""Late deal events are refused (issue 16): a step dated before the deal's latest dated step changes nothing.

Before, a repayment back-dated under the accrual moved "accrued to" back and the next accrual charged the
same days again. Worked by hand for the worked example's loan without subsidy (10,000,000.00 at 4.35 %,
ACT/360, 1,208.3333 a day): 3 Mar → 3 Apr 2025 is 31 days, 37,458.33, repaid on 3 Apr; a repayment of
100.00 dated 20 Mar is refused; the accrual to 3 May then covers 3 Apr → 3 May only, 30 days, 36,250.00
(it would have been 36,250.00 + 14 days × 1,207.21 on 9,999,900.00 had the late repayment been taken).
"""

from __future__ import annotations

from decimal import Decimal

import grpc

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
    yuan,
)
from toudai.v1 import deals_pb2 as dpb

NAME = "deals/late"


def test_a_back_dated_repayment_is_refused_and_interest_is_never_charged_twice(
    stub: Stub, deals: Deals, ledger: Ledger
) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    terms = deal_terms(subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE))
    terms.risk_sharing.insurer = ""
    terms.risk_sharing.insurer_rate = ""
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="b", deal_id="late", terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=NAME))
    first = deals.AccrueInterest(dpb.AccrueInterestRequest(request_id="a1", name=NAME, to_date=date("2025-04-03")))
    assert yuan(first.accrued) == Decimal("37458.33")  # 10,000,000.00 × 4.35 % × 31 / 360 = 37,458.333 → 37,458.33
    deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r1", name=NAME, amount=cny("37458.33"), value_date=date("2025-04-03"))
    )
    late = dpb.RecordRepaymentRequest(request_id="r2", name=NAME, amount=cny("100.00"), value_date=date("2025-03-20"))
    error = refused(deals.RecordRepayment, late, grpc.StatusCode.FAILED_PRECONDITION, ledger)
    assert reason_of(error) == "LATE_EVENT"
    assert "on or after 2025-04-03" in (error.details() or "")
    late_default = dpb.RecordDefaultRequest(request_id="x", name=NAME, value_date=date("2025-03-31"), reason="r")
    assert reason_of(refused(deals.RecordDefault, late_default, grpc.StatusCode.FAILED_PRECONDITION, ledger)) == (
        "LATE_EVENT"
    )
    second = deals.AccrueInterest(dpb.AccrueInterestRequest(request_id="a2", name=NAME, to_date=date("2025-05-03")))
    assert yuan(second.accrued) == 36250  # 3 Apr → 3 May: 30 days × 1,208.3333 = 36,250.00, nothing twice
    # On the last step's date itself the repayment is taken.
    on_time = deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r3", name=NAME, amount=cny("36250.00"), value_date=date("2025-05-03"))
    )
    assert yuan(on_time.interest) + yuan(on_time.overdue_interest) == 36250
