"""Refused deal calls over real gRPC on SQLite and PostgreSQL: every illegal transition of the state
machine, bad bookings, unknown parties and deals. Each refusal must carry the right status code and
details and leave the database exactly as it was (tests/integration/dbstate.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
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
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc

PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
INVALID = grpc.StatusCode.INVALID_ARGUMENT
NAME = "deals/hz-2025-010"


@pytest.fixture
def deals(channel: grpc.Channel) -> Deals:
    return deals_pb2_grpc.DealServiceStub(channel)


def details(
    error: grpc.RpcError,
) -> tuple[list[error_details_pb2.BadRequest.FieldViolation], list[error_details_pb2.ErrorInfo]]:
    status = rpc_status.from_call(error)
    assert status is not None, "the error must carry google.rpc.Status details"
    violations: list[error_details_pb2.BadRequest.FieldViolation] = []
    infos: list[error_details_pb2.ErrorInfo] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations.extend(bad.field_violations)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    return violations, infos


def small_terms() -> dpb.DealTerms:
    """10,000.00 at 3.6% ACT/360, one period 1 Jul → 1 Aug 2025 (31 days, a Friday): interest 31.00."""
    return deal_terms(
        principal="10000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2025-08-01",
        subsidy=dpb.SubsidyTerms(),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
    )


def drive(deals: Deals, state: str) -> None:
    """Book deals/hz-2025-010 and take it to `state` through legal steps."""
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="s-book", deal_id="hz-2025-010", terms=small_terms()))
    if state == "booked":
        return
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="s-disburse", name=NAME))
    if state == "disbursed":
        return
    if state in ("repaying", "closed"):
        # 10,000.00 + 31.00 interest at maturity; repaying state: pay only the interest first.
        deals.RecordRepayment(
            dpb.RecordRepaymentRequest(
                request_id="s-pay-1", name=NAME, amount=cny("31.00"), value_date=date("2025-08-01")
            )
        )
        if state == "repaying":
            return
        deals.RecordRepayment(
            dpb.RecordRepaymentRequest(
                request_id="s-pay-2", name=NAME, amount=cny("10000.00"), value_date=date("2025-08-01")
            )
        )
        deals.CloseDeal(dpb.CloseDealRequest(request_id="s-close", name=NAME))
        return
    deals.RecordDefault(dpb.RecordDefaultRequest(request_id="s-default", name=NAME, value_date=date("2025-07-11")))
    if state == "written_off":
        deals.WriteOff(dpb.WriteOffRequest(request_id="s-write-off", name=NAME, value_date=date("2025-07-31")))


def attempts(deals: Deals) -> dict[str, tuple[Callable[[Any], Any], Any]]:
    """One request of every mutating deal RPC, each with a fresh request_id."""
    return {
        "disburse": (deals.DisburseLoan, dpb.DisburseLoanRequest(request_id="x-disburse", name=NAME)),
        "accrue": (
            deals.AccrueInterest,
            dpb.AccrueInterestRequest(request_id="x-accrue", name=NAME, to_date=date("2025-07-20")),
        ),
        "repay": (
            deals.RecordRepayment,
            dpb.RecordRepaymentRequest(
                request_id="x-repay", name=NAME, amount=cny("1.00"), value_date=date("2025-08-01")
            ),
        ),
        "default": (
            deals.RecordDefault,
            dpb.RecordDefaultRequest(request_id="x-default", name=NAME, value_date=date("2025-08-01")),
        ),
        "write_off": (
            deals.WriteOff,
            dpb.WriteOffRequest(request_id="x-write-off", name=NAME, value_date=date("2025-08-02")),
        ),
        "close": (deals.CloseDeal, dpb.CloseDealRequest(request_id="x-close", name=NAME)),
    }


ILLEGAL = {
    "booked": ["accrue", "repay", "default", "write_off", "close"],
    "disbursed": ["disburse", "write_off"],
    "repaying": ["disburse", "write_off"],
    "defaulted": ["disburse", "accrue", "repay", "default", "close"],
    "written_off": ["disburse", "accrue", "repay", "default", "write_off", "close"],
    "closed": ["disburse", "accrue", "repay", "default", "write_off", "close"],
}


@pytest.mark.parametrize("state", list(ILLEGAL))
def test_every_illegal_transition_names_the_current_status_and_changes_nothing(
    state: str, stub: Stub, deals: Deals, ledger: Ledger
) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    drive(deals, state)
    assert deals.GetDeal(dpb.GetDealRequest(name=NAME)).deal.status == dpb.DealStatus.Value(
        f"DEAL_STATUS_{state.upper()}"
    )
    calls = attempts(deals)
    for rpc in ILLEGAL[state]:
        call, request = calls[rpc]
        error = refused(call, request, PRECONDITION, ledger)
        assert f"{NAME} is {state};" in (error.details() or ""), (rpc, error.details())
        _, infos = details(error)
        assert [(i.reason, i.metadata["status"]) for i in infos] == [("ILLEGAL_DEAL_TRANSITION", state)], rpc


def test_close_with_balances_left(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    drive(deals, "disbursed")
    deals.AccrueInterest(dpb.AccrueInterestRequest(request_id="acc", name=NAME, to_date=date("2025-07-11")))
    # 10 days: 10,000.00 × 3.6% × 10 / 360 = 10.00 of interest on top of the principal.
    error = refused(deals.CloseDeal, dpb.CloseDealRequest(request_id="close", name=NAME), PRECONDITION, ledger)
    assert "10.00 CNY on interest-receivable, 10000.00 CNY on loans" in (error.details() or "")
    _, infos = details(error)
    assert [i.reason for i in infos] == ["NOT_REPAID"]


def test_overpayment_is_refused(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    drive(deals, "disbursed")
    # Owed on 1 Aug: 10,000.00 + 31.00; one fen more is refused.
    error = refused(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(request_id="over", name=NAME, amount=cny("10031.01"), value_date=date("2025-08-01")),
        INVALID,
        ledger,
    )
    assert "10031.01 CNY is more than the 10031.00 CNY owed (31.00 CNY interest, 10000.00 CNY principal)" in (
        error.details() or ""
    )
    violations, _ = details(error)
    assert [(v.field, v.reason) for v in violations] == [("amount", "OVERPAYMENT")]


def test_a_booking_with_many_bad_fields_gets_every_violation_at_once(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub)
    terms = deal_terms(uscc="91350100M000100Y44")  # wrong check character
    terms.borrower.stage = dpb.BORROWER_STAGE_UNSPECIFIED
    terms.loan.principal.currency_code = "USD"
    terms.loan.annual_rate = "4.35%"
    terms.loan.maturity_date.CopyFrom(date("2025-01-01"))  # before the 3 March start
    terms.split.risk_pool_bps = 1000  # 3000 + 5000 + 1000 = 9000
    terms.option.coverage = "1.5"
    terms.option.holder = f"parties/{BANK}"  # a bank may not hold equity
    terms.risk_sharing.base_rate = "1.5"  # above 100 % (left out, it would come from the agreement)
    terms.subsidy.subsidy_fund = ""
    request = dpb.BookLinkedDealRequest(request_id="book-bad", deal_id="Bad Deal", terms=terms)
    error = refused(deals.BookLinkedDeal, request, INVALID, ledger)
    violations, _ = details(error)
    fields = {v.field for v in violations}
    assert fields >= {
        "deal_id",
        "terms.borrower.uscc",
        "terms.borrower.stage",
        "terms.loan.principal.currency_code",
        "terms.loan.annual_rate",
        "terms.loan.maturity_date",
        "terms.split",
        "terms.option.coverage",
        "terms.option.holder",
        "terms.risk_sharing.base_rate",
        "terms.subsidy.subsidy_fund",
    }
    by_field = {v.field: v for v in violations}
    assert by_field["terms.borrower.uscc"].reason == "INVALID_USCC"
    assert by_field["terms.split"].reason == "SPLIT_NOT_10000"
    assert by_field["terms.loan.principal.currency_code"].reason == "COMMODITY_MISMATCH"
    assert by_field["terms.loan.annual_rate"].reason == "INVALID_DECIMAL"


def test_a_wrong_uscc_alone_is_invalid_argument_naming_the_field(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub)
    request = dpb.BookLinkedDealRequest(request_id="b", deal_id="hz-1", terms=deal_terms(uscc="91350100M000I00Y43"))
    violations, _ = details(refused(deals.BookLinkedDeal, request, INVALID, ledger))
    assert [(v.field, v.reason) for v in violations] == [("terms.borrower.uscc", "INVALID_USCC")]
    assert "I, O, S, V, Z" in violations[0].description


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("\x00", "18 characters long (got 1)"),  # (a NUL would otherwise reach PostgreSQL, which refuses it)
        ("91350100M000I00Y4\x00", "'\\x00', 'I'"),
        ("91350100M000100Y44", "check character is '4'"),
    ],
)
def test_listing_by_a_malformed_uscc_is_invalid_argument(
    stub: Stub, deals: Deals, ledger: Ledger, code: str, says: str
) -> None:
    request = dpb.ListDealsRequest(borrower_uscc=code)
    violations, _ = details(refused(deals.ListDeals, request, INVALID, ledger))
    assert [(v.field, v.reason) for v in violations] == [("borrower_uscc", "INVALID_USCC")]
    assert says in violations[0].description


def test_unknown_parties_are_invalid_argument_naming_each_field(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, POOL)})  # no arm, fund or insurer
    request = dpb.BookLinkedDealRequest(request_id="b", deal_id="hz-1", terms=deal_terms())
    violations, _ = details(refused(deals.BookLinkedDeal, request, INVALID, ledger))
    assert sorted((v.field, v.reason) for v in violations) == [
        ("terms.option.holder", "UNKNOWN_PARTY"),
        ("terms.risk_sharing.insurer", "UNKNOWN_PARTY"),
        ("terms.subsidy.subsidy_fund", "UNKNOWN_PARTY"),
    ]
    assert "parties/invest-arm does not exist" in {v.field: v.description for v in violations}["terms.option.holder"]


def test_unknown_deal_is_not_found(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub)
    for call, request in attempts(deals).values():
        refused(call, request, grpc.StatusCode.NOT_FOUND, ledger)
    refused(deals.GetDeal, dpb.GetDealRequest(name=NAME), grpc.StatusCode.NOT_FOUND, ledger)
    refused(deals.GetSchedule, dpb.GetScheduleRequest(name=NAME), grpc.StatusCode.NOT_FOUND, ledger)
    violations, _ = details(refused(deals.GetDeal, dpb.GetDealRequest(name="hz-1"), INVALID, ledger))
    assert [v.field for v in violations] == ["name"]


def test_a_booking_with_a_taken_deal_id_is_already_exists(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub)
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="b1", deal_id="hz-1", terms=deal_terms()))
    error = refused(
        deals.BookLinkedDeal,
        dpb.BookLinkedDealRequest(request_id="b2", deal_id="hz-1", terms=deal_terms()),
        grpc.StatusCode.ALREADY_EXISTS,
        ledger,
    )
    assert [i.reason for i in details(error)[1]] == ["DEAL_EXISTS"]


def test_close_request_id_reused_on_another_deal(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    drive(deals, "closed")
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="other", deal_id="hz-2025-011", terms=small_terms()))
    error = refused(
        deals.CloseDeal,
        dpb.CloseDealRequest(request_id="s-close", name="deals/hz-2025-011"),
        grpc.StatusCode.ALREADY_EXISTS,
        ledger,
    )
    assert [i.reason for i in details(error)[1]] == ["REQUEST_ID_REUSED"]
