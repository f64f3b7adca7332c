"""Helpers shared by the valuation integration tests: parties, a funding round and booked deals over gRPC."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
from google.type import date_pb2, money_pb2

from tests.agreements_world import sign_agreements
from toudai.v1 import deals_pb2, deals_pb2_grpc, ledger_pb2, ledger_pb2_grpc, valuation_pb2, valuation_pb2_grpc

COMPANY = "Jiaxing Photonics Co., Ltd."
ROUND_DATE = dt.date(2026, 1, 15)
BRANCH, HOLDER, POOL = "bank-hz", "invest-arm", "pool-zj"

# The cap table of docs/valuation.md (breakpoints 3.0M, 5.0M, 9.5M, 14.25M, 71.75M, 103.25M).
CAP_TABLE = valuation_pb2.CapTable(
    classes=[
        valuation_pb2.ShareClass(name="common", shares=8_000_000),
        valuation_pb2.ShareClass(
            name="A",
            shares=2_000_000,
            conversion_ratio="1",
            preference=valuation_pb2.Preference(price="1.00", multiple="1", seniority=2),
        ),
        valuation_pb2.ShareClass(
            name="B",
            shares=1_000_000,
            preference=valuation_pb2.Preference(
                price="3.00", multiple="1", participating=True, participation_cap="3", seniority=1
            ),
        ),
    ],
    option_pools=[valuation_pb2.OptionPool(name="esop", shares=500_000, strike="0.50")],
)


def date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def cny(units: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="CNY", units=units)


def fen(money: money_pb2.Money) -> int:
    return int(money.units) * 100 + int(money.nanos) // 10_000_000


def rid() -> str:
    return str(uuid.uuid4())


def create_parties(channel: grpc.Channel) -> None:
    ledger = ledger_pb2_grpc.LedgerServiceStub(channel)
    for party, kind in (
        (BRANCH, ledger_pb2.PARTY_KIND_BANK_BRANCH),
        (HOLDER, ledger_pb2.PARTY_KIND_INVESTMENT_ARM),
        (POOL, ledger_pb2.PARTY_KIND_RISK_POOL),
    ):
        ledger.CreateParty(
            ledger_pb2.CreatePartyRequest(request_id=rid(), party_id=party, display_name=party, kind=kind)
        )
    sign_agreements(channel, branch=BRANCH, arm=HOLDER, pool=POOL)


def record_round(
    channel: grpc.Channel, *, company: str = COMPANY, price: str = "3.00", day: dt.date = ROUND_DATE
) -> valuation_pb2.FundingRound:
    stub = valuation_pb2_grpc.ValuationServiceStub(channel)
    response = stub.RecordFundingRound(
        valuation_pb2.RecordFundingRoundRequest(
            request_id=rid(),
            company=company,
            round_date=date(day),
            share_class="B",
            price_per_share=price,
            shares_issued=1_000_000,
            cap_table=CAP_TABLE,
        )
    )
    return response.funding_round


def deal_terms(
    *, company: str = COMPANY, shares: int = 100_000, strike: str = "1.00", share_class: str = "common"
) -> deals_pb2.DealTerms:
    return deals_pb2.DealTerms(
        branch=f"parties/{BRANCH}",
        borrower=deals_pb2.Borrower(
            name="Jiaxing Photonics", uscc="91350100M000100Y43", stage=deals_pb2.BORROWER_STAGE_GROWTH
        ),
        loan=deals_pb2.LoanTerms(
            principal=cny(10_000_000),
            annual_rate="0.0435",
            start_date=date(dt.date(2025, 3, 3)),
            maturity_date=date(dt.date(2027, 3, 3)),
        ),
        option=deals_pb2.OptionTerms(
            holder=f"parties/{HOLDER}",
            company=company,
            share_class=share_class,
            quantity_basis=deals_pb2.OPTION_QUANTITY_BASIS_SHARES,
            shares=shares,
            strike_basis=deals_pb2.STRIKE_BASIS_FIXED_PRICE,
            strike_price=strike,
            exercise_window_start=date(dt.date(2025, 3, 3)),
            exercise_window_end=date(dt.date(2030, 3, 3)),
            triggers=[deals_pb2.EXERCISE_TRIGGER_QUALIFYING_ROUND],
        ),
        risk_sharing=deals_pb2.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
        split=deals_pb2.ProceedsSplit(bank_bps=3000, investment_arm_bps=5000, risk_pool_bps=2000),
    )


def book_deal(channel: grpc.Channel, deal_id: str, **terms: object) -> deals_pb2.Deal:
    stub = deals_pb2_grpc.DealServiceStub(channel)
    response = stub.BookLinkedDeal(
        deals_pb2.BookLinkedDealRequest(request_id=rid(), deal_id=deal_id, terms=deal_terms(**terms))  # type: ignore[arg-type]
    )
    return response.deal
