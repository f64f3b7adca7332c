"""Technology-insurance claims (科技保险理赔, issue 18): filed by a default, decided and paid by the insurer,
over real gRPC on SQLite and PostgreSQL, every figure computed by hand here.

The loan: 1,000,000.00 at 3.60 % ACT/360 (100.00 a day) from 15 Jan 2025, no subsidy; the pool covers 70 %
of a loss (unsecured tier) and the insurer 20 %. It defaults on 14 Feb 2025 with nothing paid: the default
accrues 15 Jan → 14 Feb, 30 days = 3,000.00, so the loss is 1,003,000.00; the pool pays 70 % = 702,100.00
from its cash and the insurer's claim is 20 % = 200,600.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest

from ledger.store import Ledger
from server.auth import Role
from tests.integration.authz_world import INSURANCE_NAME, INSURED, Keyed, bearer, reason_of, token
from tests.integration.deals_world import (
    BANK,
    INSURER,
    POOL,
    Deals,
    Stub,
    acct,
    cny,
    create_parties,
    date,
    deal_terms,
    refused,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import insurance_pb2 as ipb
from toudai.v1 import insurance_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

D = "insured"
NAME = f"deals/{D}"
CLAIM = f"insuranceClaims/{D}"
CLERK = (("x-toudai-principal", "clerk-wang"),)  # the branch's clerk records the default: the filer
INSURER_STAFF = (("x-toudai-principal", "insurer-claims-liu"),)


@pytest.fixture
def insurance(channel: grpc.Channel) -> Any:
    return insurance_pb2_grpc.InsuranceServiceStub(channel)


def _balances(stub: Stub, *names: str) -> dict[str, Decimal]:
    found = stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=list(names)))
    return {b.account: Decimal(b.balance.value) for b in found.balances}


def _defaulted(stub: Stub, deals: Deals) -> None:
    create_parties(stub)
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-01-15",
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book", deal_id=D, terms=terms))
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-01-10")
        )
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse", name=NAME))
    defaulted = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default", name=NAME, value_date=date("2025-02-14"), reason="r"),
        metadata=CLERK,
    )
    assert (yuan(defaulted.loss), yuan(defaulted.compensation_paid), yuan(defaulted.insurer_share)) == (
        Decimal("1003000.00"),
        Decimal("702100.00"),
        Decimal("200600.00"),
    )


INSURER_BOOK = (acct(INSURER, "claims-expense"), acct(INSURER, f"claims-payable.{D}"))
BANK_COVER = (acct(BANK, f"insurance-receivable.{D}"), acct(BANK, f"insurance-compensation.{D}"))


def test_a_claim_is_filed_approved_and_paid(stub: Stub, deals: Deals, insurance: Any, ledger: Ledger) -> None:
    _defaulted(stub, deals)
    # Filed by the default, attributed to the clerk who recorded it; nothing in the insurer's book yet.
    claim = insurance.GetInsuranceClaim(ipb.GetInsuranceClaimRequest(name=CLAIM)).claim
    assert (claim.status, yuan(claim.loss), claim.rate, yuan(claim.amount)) == (
        ipb.INSURANCE_CLAIM_STATUS_PENDING,
        Decimal("1003000.00"),
        "0.2",
        Decimal("200600.00"),
    )
    assert (claim.filed_by.principal, claim.filed_by.request_id, claim.insurer) == (
        "clerk-wang",
        "default",
        f"parties/{INSURER}",
    )
    assert set(_balances(stub, *INSURER_BOOK, *BANK_COVER).values()) == {Decimal(0)}
    # While it is pending, what the insurer bears is unknown: no write-off, no recovery.
    write_off = dpb.WriteOffRequest(request_id="wo", name=NAME, value_date=date("2025-03-31"))
    assert reason_of(refused(deals.WriteOff, write_off, grpc.StatusCode.FAILED_PRECONDITION, ledger)) == "CLAIM_PENDING"
    recovery = dpb.RecordRecoveryRequest(request_id="rec", name=NAME, amount=cny("1.00"), value_date=date("2025-03-01"))
    assert (
        reason_of(refused(deals.RecordRecovery, recovery, grpc.StatusCode.FAILED_PRECONDITION, ledger))
        == "CLAIM_PENDING"
    )
    # The clerk who filed it cannot also approve it.
    approve = ipb.ApproveInsuranceClaimRequest(request_id="approve", name=CLAIM, value_date=date("2025-03-01"))
    own = refused(
        lambda r: insurance.ApproveInsuranceClaim(r, metadata=CLERK),
        approve,
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert reason_of(own) == "FOUR_EYES"

    # The insurer's staff approve it on 1 Mar: 200,600.00 in both books.
    approved = insurance.ApproveInsuranceClaim(approve, metadata=INSURER_STAFF).claim
    assert (approved.status, approved.decided_by.principal, approved.decision_date) == (
        ipb.INSURANCE_CLAIM_STATUS_APPROVED,
        "insurer-claims-liu",
        date("2025-03-01"),
    )
    assert insurance.ApproveInsuranceClaim(approve, metadata=INSURER_STAFF).claim == approved  # a retry replays
    posted = stub.GetTransaction(pb.GetTransactionRequest(name=approved.transaction)).transaction
    assert posted.value_date == date("2025-03-01")
    assert set(_balances(stub, *INSURER_BOOK, *BANK_COVER).values()) == {Decimal("200600.00")}

    # It pays 100,000.00 on 10 Mar, then the remaining 100,600.00 on 20 Mar.
    early = ipb.SettleInsuranceClaimRequest(
        request_id="pay-early", name=CLAIM, amount=cny("1.00"), value_date=date("2025-02-28")
    )
    assert reason_of(refused(insurance.SettleInsuranceClaim, early, grpc.StatusCode.FAILED_PRECONDITION, ledger)) == (
        "LATE_EVENT"
    )
    first = insurance.SettleInsuranceClaim(
        ipb.SettleInsuranceClaimRequest(
            request_id="pay-1", name=CLAIM, amount=cny("100000.00"), value_date=date("2025-03-10")
        ),
        metadata=INSURER_STAFF,
    )
    assert (first.claim.status, yuan(first.claim.settled), yuan(first.outstanding)) == (
        ipb.INSURANCE_CLAIM_STATUS_APPROVED,
        Decimal("100000.00"),
        Decimal("100600.00"),
    )
    too_much = ipb.SettleInsuranceClaimRequest(
        request_id="pay-2", name=CLAIM, amount=cny("100600.01"), value_date=date("2025-03-20")
    )
    assert reason_of(refused(insurance.SettleInsuranceClaim, too_much, grpc.StatusCode.INVALID_ARGUMENT, ledger)) == (
        "OVERPAYMENT"
    )
    last = insurance.SettleInsuranceClaim(
        ipb.SettleInsuranceClaimRequest(
            request_id="pay-2", name=CLAIM, amount=cny("100600.00"), value_date=date("2025-03-20")
        ),
        metadata=INSURER_STAFF,
    )
    assert (last.claim.status, yuan(last.claim.settled), yuan(last.outstanding)) == (
        ipb.INSURANCE_CLAIM_STATUS_SETTLED,
        Decimal("200600.00"),
        0,
    )
    # The bank: clearing −1,000,000.00 + 702,100.00 (pool) + 200,600.00 (insurer) = −97,300.00; the
    # insurer's clearing paid out 200,600.00.
    assert _balances(stub, acct(BANK, "clearing"), acct(INSURER, "clearing"), *BANK_COVER, *INSURER_BOOK) == {
        acct(BANK, "clearing"): Decimal("-97300.00"),
        acct(INSURER, "clearing"): Decimal("-200600.00"),
        acct(BANK, f"insurance-receivable.{D}"): Decimal("0.00"),
        acct(BANK, f"insurance-compensation.{D}"): Decimal("200600.00"),  # cover held until write-off
        acct(INSURER, "claims-expense"): Decimal("200600.00"),
        acct(INSURER, f"claims-payable.{D}"): Decimal("0.00"),
    }
    # Write-off on 31 Mar: 1,003,000.00 off the books, 702,100.00 + 200,600.00 of cover applied, the
    # bank's loss 100,300.00.
    written = deals.WriteOff(write_off)
    assert (yuan(written.insurance_applied), yuan(written.loan_loss)) == (Decimal("200600.00"), Decimal("100300.00"))
    for party in (BANK, POOL, INSURER):
        assert all(v == 0 for v in ledger.trial_balance(party).values()), party


def test_a_rejected_claim_leaves_the_share_with_the_bank(
    stub: Stub, deals: Deals, insurance: Any, ledger: Ledger
) -> None:
    _defaulted(stub, deals)
    reject = ipb.RejectInsuranceClaimRequest(request_id="reject", name=CLAIM, reason="")
    assert refused(insurance.RejectInsuranceClaim, reject, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    reject.reason = "the policy excludes losses from fraud"
    rejected = insurance.RejectInsuranceClaim(reject, metadata=INSURER_STAFF).claim
    assert (rejected.status, rejected.reason, rejected.transaction) == (
        ipb.INSURANCE_CLAIM_STATUS_REJECTED,
        "the policy excludes losses from fraud",
        "",
    )
    assert set(_balances(stub, *INSURER_BOOK, *BANK_COVER).values()) == {Decimal(0)}
    pay = ipb.SettleInsuranceClaimRequest(
        request_id="pay", name=CLAIM, amount=cny("1.00"), value_date=date("2025-03-10")
    )
    assert reason_of(refused(insurance.SettleInsuranceClaim, pay, grpc.StatusCode.FAILED_PRECONDITION, ledger)) == (
        "CLAIM_NOT_APPROVED"
    )
    # Write-off: 1,003,000.00 less the pool's 702,100.00 = 300,900.00 is the bank's loss.
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo", name=NAME, value_date=date("2025-03-31")))
    assert (yuan(written.insurance_applied), yuan(written.loan_loss)) == (0, Decimal("300900.00"))
    # A recovery of 100,300.00 is shared with the pool only: 100,300.00 × 702,100.00 / 1,003,000.00 = 70,210.00.
    recovered = deals.RecordRecovery(
        dpb.RecordRecoveryRequest(request_id="rec", name=NAME, amount=cny("100300.00"), value_date=date("2025-04-10"))
    )
    assert (yuan(recovered.pool_share), yuan(recovered.insurer_share), yuan(recovered.bank_share)) == (
        Decimal("70210.00"),
        0,
        Decimal("30090.00"),
    )


# ---------------------------------------------------------------------- with real tokens (keyed server)


def _as(keyed: Keyed, role: Role, party: str = "", sub: str | None = None) -> Any:
    stub = insurance_pb2_grpc.InsuranceServiceStub(keyed.channel)
    credential = bearer(token(role, party, sub=sub))
    return stub, credential


def test_only_the_claims_insurer_decides_it(keyed: Keyed) -> None:
    """The authorization world's insured deal (tests/integration/authz_world.py) defaulted with a pending
    claim for insurer-jk. Branch, pool and investment-arm staff are refused; another insurer does not
    see it; insurer-jk's staff approve it."""
    approve = ipb.ApproveInsuranceClaimRequest(request_id="matrix-approve", name=INSURANCE_NAME)
    for role, party, code in (
        (Role.BRANCH, BANK, grpc.StatusCode.PERMISSION_DENIED),
        (Role.RISK_POOL, "pool-zj", grpc.StatusCode.PERMISSION_DENIED),
        (Role.INVESTMENT_ARM, "invest-arm", grpc.StatusCode.PERMISSION_DENIED),
        (Role.AUDITOR, "", grpc.StatusCode.PERMISSION_DENIED),
        (Role.INSURER, "insurer-b", grpc.StatusCode.NOT_FOUND),
    ):
        stub, credential = _as(keyed, role, party)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ApproveInsuranceClaim(approve, metadata=credential)
        assert caught.value.code() == code, (role, caught.value.details())
    branch, credential = _as(keyed, Role.BRANCH, BANK)
    seen = branch.GetInsuranceClaim(ipb.GetInsuranceClaimRequest(name=INSURANCE_NAME), metadata=credential).claim
    assert (seen.deal, seen.status) == (f"deals/{INSURED}", ipb.INSURANCE_CLAIM_STATUS_PENDING)
    insurer, credential = _as(keyed, Role.INSURER, "insurer-jk", sub="liu@insurer-jk")
    approved = insurer.ApproveInsuranceClaim(approve, metadata=credential).claim
    assert (approved.status, approved.decided_by.principal, approved.decided_by.role) == (
        ipb.INSURANCE_CLAIM_STATUS_APPROVED,
        "liu@insurer-jk",
        "insurer",
    )
