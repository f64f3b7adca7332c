"""Agreements over real gRPC, on SQLite and PostgreSQL: versions, limits, bands, claims (issue 15).

Every expected figure is worked out by hand in the test's docstring; the agreements are written out in
each test. The development server acts as administrator `dev-admin` unless `x-toudai-principal` names
another person (the four-eyes rule on claims needs two).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from ledger.store import Ledger
from tests.integration.authz_world import violations_of
from tests.integration.deals_world import ARM, BANK, FUND, POOL, cny, date, deal_terms, yuan
from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import agreements_pb2_grpc, deals_pb2_grpc, ledger_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb

CODE = grpc.StatusCode
OTHER_BANK = "bank-sh"


@pytest.fixture
def stubs(channel: grpc.Channel) -> tuple[Any, Any, Any]:
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    for party, kind in (
        (BANK, pb.PARTY_KIND_BANK_BRANCH),
        (OTHER_BANK, pb.PARTY_KIND_BANK_BRANCH),
        (ARM, pb.PARTY_KIND_INVESTMENT_ARM),
        (POOL, pb.PARTY_KIND_RISK_POOL),
        (FUND, pb.PARTY_KIND_SUBSIDY_FUND),
    ):
        ledger.CreateParty(
            pb.CreatePartyRequest(request_id=f"p-{party}", party_id=party, display_name=party, kind=kind)
        )
    deals = deals_pb2_grpc.DealServiceStub(channel)
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund", risk_pool=f"parties/{POOL}", amount=cny("5000000.00"), value_date=date("2025-01-02")
        )
    )
    return ledger, deals, agreements_pb2_grpc.AgreementServiceStub(channel)


def sign(stub: Any, agreement_id: str, kind: int, owner: str, branch: str = BANK, **terms: Any) -> apb.Agreement:
    return stub.CreateAgreement(
        apb.CreateAgreementRequest(
            request_id=f"sign-{agreement_id}",
            agreement_id=agreement_id,
            agreement=apb.Agreement(
                kind=kind,
                owner=f"parties/{owner}",
                counterparty=f"parties/{branch}",
                effective_from=date("2025-01-01"),
                **terms,
            ),
        )
    ).agreement


def link(stub: Any, branch: str = BANK) -> apb.Agreement:
    return sign(
        stub,
        f"link-{branch}",
        apb.AGREEMENT_KIND_LINKAGE,
        ARM,
        branch,
        linkage=apb.LinkageAgreement(bank_bps=3000, investment_arm_bps=5000, risk_pool_bps=2000),
    )


def plain_terms(principal: str = "1000000.00", branch: str = BANK, **risk: Any) -> dpb.DealTerms:
    """The worked example's terms without subsidy or insurer, rates and caps left to the agreement."""
    terms = deal_terms(principal=principal, subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE))
    terms.branch = f"parties/{branch}"
    terms.risk_sharing.CopyFrom(dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", **risk))
    return terms


def book(deals: Any, deal_id: str, terms: dpb.DealTerms, request_id: str | None = None) -> dpb.Deal:
    request = dpb.BookLinkedDealRequest(request_id=request_id or f"book-{deal_id}", deal_id=deal_id, terms=terms)
    return deals.BookLinkedDeal(request).deal


def refused_booking(deals: Any, deal_id: str, terms: dpb.DealTerms) -> list[tuple[str, str, str]]:
    with pytest.raises(grpc.RpcError) as caught:
        book(deals, deal_id, terms)
    assert caught.value.code() == CODE.FAILED_PRECONDITION, caught.value.details()
    return violations_of(caught.value)


def test_a_deal_keeps_the_version_it_was_booked_under(stubs: tuple[Any, Any, Any]) -> None:
    """v1 pays 50 % up to 300,000.00 a loan; v2 pays 40 %. A deal booked under v1 keeps 50 %; one booked
    after the amendment gets 40 % and cannot ask for 50 %."""
    _, deals, agreements = stubs
    link(agreements)
    v1 = sign(
        agreements,
        "rsa",
        apb.AGREEMENT_KIND_RISK_SHARING,
        POOL,
        risk_sharing=apb.RiskSharingAgreement(base_rate="0.50", per_deal_cap=cny("300000.00")),
    )
    assert (v1.name, v1.version, v1.recorded_by.principal) == ("agreements/rsa", 1, "dev-admin")
    first = book(deals, "v-one", plain_terms())
    assert first.terms.agreements.risk_sharing == "agreements/rsa/versions/1"
    assert first.terms.agreements.linkage == f"agreements/link-{BANK}/versions/1"
    assert (first.terms.risk_sharing.base_rate, yuan(first.terms.risk_sharing.cap)) == ("0.5", 300000)
    assert first.terms.split.bank_bps == 3000  # the split came from the linkage agreement
    v2 = agreements.AmendAgreement(
        apb.AmendAgreementRequest(
            request_id="amend",
            name="agreements/rsa",
            agreement=apb.Agreement(
                kind=apb.AGREEMENT_KIND_RISK_SHARING,
                owner=f"parties/{POOL}",
                counterparty=f"parties/{BANK}",
                effective_from=date("2025-01-01"),
                risk_sharing=apb.RiskSharingAgreement(base_rate="0.40", per_deal_cap=cny("300000.00")),
            ),
        )
    ).agreement
    assert v2.version == 2
    second = book(deals, "v-two", plain_terms())
    assert second.terms.agreements.risk_sharing == "agreements/rsa/versions/2"
    assert second.terms.risk_sharing.base_rate == "0.4"
    again = deals.GetDeal(dpb.GetDealRequest(name="deals/v-one")).deal
    assert again.terms.risk_sharing.base_rate == "0.5"
    problems = refused_booking(deals, "v-three", plain_terms(base_rate="0.50"))
    assert ("OUTSIDE_AGREEMENT", "terms.risk_sharing.base_rate") in {(t, s) for t, s, _ in problems}
    old = agreements.GetAgreement(apb.GetAgreementRequest(name="agreements/rsa/versions/1")).agreement
    assert old.risk_sharing.base_rate == "0.5"


def test_the_exposure_cap_limits_what_the_pool_can_owe_the_branch(stubs: tuple[Any, Any, Any]) -> None:
    """50 % of a 1,000,000.00 loan: the pool's worst case is 500,000.00 a deal. With a 1,000,000.00 exposure
    cap, two deals fit (1,000,000.00), the third (1,500,000.00) does not."""
    _, deals, agreements = stubs
    link(agreements)
    sign(
        agreements,
        "rsa-capped",
        apb.AGREEMENT_KIND_RISK_SHARING,
        POOL,
        risk_sharing=apb.RiskSharingAgreement(base_rate="0.50", exposure_cap=cny("1000000.00")),
    )
    book(deals, "cap-1", plain_terms())
    book(deals, "cap-2", plain_terms())
    problems = refused_booking(deals, "cap-3", plain_terms())
    assert [(t, s) for t, s, _ in problems] == [("EXPOSURE_CAP", "terms.risk_sharing")]
    assert "1,500,000.00, above its cap of 1,000,000.00" in problems[0][2]


def test_the_pool_covers_only_the_stages_it_agreed_to(stubs: tuple[Any, Any, Any]) -> None:
    _, deals, agreements = stubs
    link(agreements)
    sign(
        agreements,
        "rsa-start-ups",
        apb.AGREEMENT_KIND_RISK_SHARING,
        POOL,
        risk_sharing=apb.RiskSharingAgreement(base_rate="0.50", eligible_stages=[dpb.BORROWER_STAGE_START_UP]),
    )
    problems = refused_booking(deals, "growth", plain_terms())  # the worked example's borrower is growth-stage
    assert ("OUTSIDE_AGREEMENT", "terms.borrower.stage") in {(t, s) for t, s, _ in problems}


def test_banded_compensation_is_paid_band_by_band(stubs: tuple[Any, Any, Any]) -> None:
    """Bands: 50 % of a loss up to 1,000,000.00 and 70 % above. A 3,000,000.00 loan defaulted on its start
    date (no interest accrued) loses 3,000,000.00: 1,000,000.00 × 0.50 + 2,000,000.00 × 0.70 =
    500,000.00 + 1,400,000.00 = 1,900,000.00, paid from the pool's 5,000,000.00."""
    _, deals, agreements = stubs
    link(agreements)
    sign(
        agreements,
        "rsa-bands",
        apb.AGREEMENT_KIND_RISK_SHARING,
        POOL,
        risk_sharing=apb.RiskSharingAgreement(
            bands=[
                dpb.CompensationBand(up_to=cny("1000000.00"), rate="0.50"),
                dpb.CompensationBand(rate="0.70"),
            ],
            auto_approval_limit=cny("5000000.00"),
        ),
    )
    booked = book(deals, "banded", plain_terms("3000000.00"))
    assert [b.rate for b in booked.terms.risk_sharing.bands] == ["0.5", "0.7"]
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name="deals/banded"))
    default = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x", name="deals/banded", value_date=date("2025-03-03"), reason="r")
    )
    assert (yuan(default.loss), yuan(default.compensation_paid), yuan(default.compensation_pending)) == (
        3000000,
        1900000,
        0,
    )
    claim = deals.GetClaim(dpb.GetClaimRequest(name="claims/banded")).claim
    assert claim.status == dpb.CLAIM_STATUS_AUTO_APPROVED
    assert claim.agreement == "agreements/rsa-bands/versions/1"


def test_a_rejected_claim_leaves_the_loss_with_the_branch(stubs: tuple[Any, Any, Any]) -> None:
    """Auto-approval limit 0: every claim waits. The 1,000,000.00 loss (50 % = 500,000.00 claimed) is
    rejected by the pool's administrator (not the person who filed it); write-off then takes the whole
    1,000,000.00 to the branch's loan loss and the pool's cash stays 5,000,000.00."""
    ledger, deals, agreements = stubs
    link(agreements)
    sign(
        agreements,
        "rsa-strict",
        apb.AGREEMENT_KIND_RISK_SHARING,
        POOL,
        risk_sharing=apb.RiskSharingAgreement(base_rate="0.50"),
    )
    book(deals, "rejected", plain_terms())
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name="deals/rejected"))
    default = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x", name="deals/rejected", value_date=date("2025-03-03"), reason="r")
    )
    assert yuan(default.compensation_pending) == 500000
    with pytest.raises(grpc.RpcError) as own:
        deals.RejectClaim(dpb.RejectClaimRequest(request_id="no", name="claims/rejected", reason="not covered"))
    assert own.value.code() == CODE.FAILED_PRECONDITION
    assert [t for t, _, _ in violations_of(own.value)] == ["FOUR_EYES"]
    as_pool = (("x-toudai-principal", "pool-admin"),)
    rejected = deals.RejectClaim(
        dpb.RejectClaimRequest(request_id="no", name="claims/rejected", reason="fraud suspected"), metadata=as_pool
    ).claim
    assert (rejected.status, rejected.decided_by.principal, rejected.reason) == (
        dpb.CLAIM_STATUS_REJECTED,
        "pool-admin",
        "fraud suspected",
    )
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="w", name="deals/rejected", value_date=date("2025-03-04")))
    assert yuan(written.written_off) == 1000000
    cash = ledger.GetBalance(pb.GetBalanceRequest(account=f"parties/{POOL}/accounts/cash")).balance
    assert cash.balance.value == "5000000.00"


def test_subsidy_and_linkage_terms_must_be_within_their_agreements(stubs: tuple[Any, Any, Any]) -> None:
    _, deals, agreements = stubs
    link(agreements)
    sign(
        agreements, "rsa", apb.AGREEMENT_KIND_RISK_SHARING, POOL, risk_sharing=apb.RiskSharingAgreement(base_rate="0.5")
    )
    sign(
        agreements,
        "sub",
        apb.AGREEMENT_KIND_SUBSIDY,
        FUND,
        subsidy=apb.SubsidyAgreement(types=[dpb.SUBSIDY_TYPE_RATE_POINTS], max_rate_points="0.02"),
    )
    terms = plain_terms()
    terms.subsidy.CopyFrom(
        dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_RATE_POINTS, subsidy_fund=f"parties/{FUND}", rate_points="0.0365")
    )
    terms.split.CopyFrom(dpb.ProceedsSplit(bank_bps=2000, investment_arm_bps=6000, risk_pool_bps=2000))
    problems = {(t, s) for t, s, _ in refused_booking(deals, "outside", terms)}
    assert {
        ("OUTSIDE_AGREEMENT", "terms.subsidy.rate_points"),
        ("OUTSIDE_AGREEMENT", "terms.split"),
    } <= problems


def test_without_an_agreement_nothing_is_booked_and_the_message_says_who_must_sign(
    stubs: tuple[Any, Any, Any], ledger: Ledger
) -> None:
    _, deals, _ = stubs
    problems = refused_booking(deals, "unsigned", plain_terms())
    assert {(t, s) for t, s, _ in problems} == {
        ("NO_AGREEMENT", "terms.agreements.risk_sharing"),
        ("NO_AGREEMENT", "terms.agreements.linkage"),
    }
    assert any("the pool records one first" in d for _, _, d in problems)


def test_request_ids_are_each_branchs_own(stubs: tuple[Any, Any, Any]) -> None:
    """Two branches using the same request id book two deals: neither learns of nor blocks the other."""
    _, deals, agreements = stubs
    for branch in (BANK, OTHER_BANK):
        link(agreements, branch)
        sign(
            agreements,
            f"rsa-{branch}",
            apb.AGREEMENT_KIND_RISK_SHARING,
            POOL,
            branch,
            risk_sharing=apb.RiskSharingAgreement(base_rate="0.5"),
        )
    first = book(deals, "hz-same", plain_terms(), request_id="same-key")
    second = book(deals, "sh-same", plain_terms(branch=OTHER_BANK), request_id="same-key")
    assert (first.name, second.name) == ("deals/hz-same", "deals/sh-same")
    for name in ("deals/hz-same", "deals/sh-same"):
        deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="same-step", name=name))
    assert deals.GetDeal(dpb.GetDealRequest(name="deals/sh-same")).deal.status == dpb.DEAL_STATUS_DISBURSED
