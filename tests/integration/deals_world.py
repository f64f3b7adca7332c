"""The world of the linked-deal tests (test_deals_flow.py, test_deals_lifecycles.py).

Linked deals end to end over real gRPC, on SQLite and PostgreSQL (issue 4).

The worked example of domain.md: a 10,000,000.00 CNY loan of the sub-branch `bank-hz` to a tech company,
10% option coverage at a last-round price of 10.00 (100,000 option units in the investment arm's book),
rate-points subsidy (4.35% loan, 3.65 pp paid by the subsidy fund), a prepayment, a partial payment of
overdue interest, a default when the risk pool holds less than its compensation, the pool refilled and
its claim paid, and the write-off. After every step the test reads EVERY account of EVERY party and
compares it with figures worked out by hand below, and checks that every book's trial balance is zero.
Every mutating call is sent twice with the same request_id: the retry returns the same answer and posts
nothing.

Hand-worked figures (ACT/360; 10,000,000.00 × 4.35% = 435,000.00 a year = 1,208.3333 a day; the subsidy
3.65% = 365,000.00 a year = 1,013.8889 a day; each accrual rounded once to the fen, half up):
  3 Mar → 3 Apr 2025, 31 days: interest 37,458.33 (37,458.333), subsidy 31,430.56 (31,430.555),
                                 borrower 6,027.77
  3 Apr → 18 Apr, 15 days on 10,000,000.00: interest 18,125.00, subsidy 15,208.33, borrower 2,916.67
  18 Apr → 5 May (3 May is a Saturday; modified following), 17 days on 9,000,000.00 (1,087.50 / 912.50 a day):
                                 interest 18,487.50, subsidy 15,512.50, borrower 2,975.00
  5 May → 20 May, 15 days on 9,000,000.00: interest 16,312.50, subsidy 13,687.50, borrower 2,625.00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.type import date_pb2, money_pb2

from ledger.store import Ledger
from tests.agreements_world import sign_agreements
from tests.integration.dbstate import assert_unchanged, snapshot
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc, ledger_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

Stub = ledger_pb2_grpc.LedgerServiceStub
Deals = deals_pb2_grpc.DealServiceStub

BANK, ARM, POOL, FUND, INSURER = "bank-hz", "invest-arm", "pool-zj", "subsidy-fund", "insurer-jk"
PARTIES = {
    BANK: pb.PARTY_KIND_BANK_BRANCH,
    ARM: pb.PARTY_KIND_INVESTMENT_ARM,
    POOL: pb.PARTY_KIND_RISK_POOL,
    FUND: pb.PARTY_KIND_SUBSIDY_FUND,
    INSURER: pb.PARTY_KIND_INSURER,
}
USCC_A = "91350100M000100Y43"  # the example code of domain.md
USCC_B = "91330400MA2B3C4D56"  # check character 6, computed as in test_uscc.py
DEBIT_NORMAL = {pb.ACCOUNT_TYPE_ASSET, pb.ACCOUNT_TYPE_EXPENSE}


def date(iso: str) -> date_pb2.Date:
    d = dt.date.fromisoformat(iso)
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def cny(text: str) -> money_pb2.Money:
    value = Decimal(text)
    units = int(value)
    return money_pb2.Money(currency_code="CNY", units=units, nanos=int((value - units) * 1_000_000_000))


def yuan(money: money_pb2.Money) -> Decimal:
    assert money.currency_code == "CNY"
    return Decimal(money.units) + Decimal(money.nanos) / 1_000_000_000


def acct(party: str, code: str) -> str:
    return f"parties/{party}/accounts/{code}"


# ---------------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def deals(channel: grpc.Channel) -> Deals:
    return deals_pb2_grpc.DealServiceStub(channel)


def create_parties(stub: Stub, parties: dict[str, int] = PARTIES) -> None:
    """Create the parties, and the agreements between those present (tests/agreements_world.py)."""
    for party, kind in parties.items():
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"party-{party}", party_id=party, display_name=party, kind=kind)
        )
    if BANK in parties:

        def present(party: str) -> str:
            return party if party in parties else ""

        sign_agreements(
            stub.channel,  # type: ignore[attr-defined]  # tests.conftest.LedgerStub
            branch=BANK,
            arm=present(ARM),
            pool=present(POOL),
            fund=present(FUND),
            insurer=present(INSURER),
        )


def deal_terms(
    *,
    uscc: str = USCC_A,
    principal: str = "10000000.00",
    rate: str = "0.0435",
    start: str = "2025-03-03",
    maturity: str = "2026-03-03",
    day_count: int = dpb.DAY_COUNT_CONVENTION_ACT_360,
    schedule: int = dpb.SCHEDULE_TYPE_BULLET,
    subsidy: dpb.SubsidyTerms | None = None,
    risk: dpb.RiskSharingTerms | None = None,
    option: dpb.OptionTerms | None = None,
) -> dpb.DealTerms:
    """The worked example's terms unless overridden."""
    return dpb.DealTerms(
        branch=f"parties/{BANK}",
        borrower=dpb.Borrower(
            name="嘉兴光子科技有限公司", uscc=uscc, stage=dpb.BORROWER_STAGE_GROWTH, credit_score=640
        ),
        loan=dpb.LoanTerms(
            principal=cny(principal),
            annual_rate=rate,
            day_count=day_count,
            start_date=date(start),
            maturity_date=date(maturity),
            schedule=schedule,
            frequency=dpb.INTEREST_FREQUENCY_MONTHLY,
            business_day=dpb.BUSINESS_DAY_CONVENTION_MODIFIED_FOLLOWING,
        ),
        subsidy=subsidy
        if subsidy is not None
        else dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_RATE_POINTS, subsidy_fund=f"parties/{FUND}", rate_points="0.0365"),
        option=option
        if option is not None
        else dpb.OptionTerms(
            holder=f"parties/{ARM}",
            company="嘉兴光子科技有限公司",
            share_class="common",
            quantity_basis=dpb.OPTION_QUANTITY_BASIS_COVERAGE,
            coverage="0.10",
            strike_basis=dpb.STRIKE_BASIS_LAST_ROUND_PRICE,
            strike_price="10.00",
            exercise_window_start=date(start),
            exercise_window_end=date("2032-03-03"),
            triggers=[dpb.EXERCISE_TRIGGER_QUALIFYING_ROUND, dpb.EXERCISE_TRIGGER_IPO],
            qualifying_round_size=cny("50000000.00"),
        ),
        risk_sharing=risk
        if risk is not None
        else dpb.RiskSharingTerms(
            risk_pool=f"parties/{POOL}",
            base_rate="0.50",
            first_loan=False,
            first_loan_rate="0.90",
            unsecured_share="0.80",
            unsecured_threshold="0.70",
            unsecured_rate="0.70",
            cap=cny("3000000.00"),
            insurer=f"parties/{INSURER}",
            insurer_rate="0.20",
        ),
        split=dpb.ProceedsSplit(bank_bps=3000, investment_arm_bps=5000, risk_pool_bps=2000),
    )


class Books:
    """Expected balances of every account of every party (on the normal side), checked against the server."""

    def __init__(self, stub: Stub, ledger: Ledger, parties: list[str]) -> None:
        self.stub = stub
        self.ledger = ledger
        self.parties = parties
        self.expected: dict[str, Decimal] = {}

    def open(self, *names: str) -> None:
        for name in names:
            self.expected.setdefault(name, Decimal(0))

    def __setitem__(self, name: str, value: str) -> None:
        assert name in self.expected, f"{name} is not an open account"
        self.expected[name] = Decimal(value)

    def check(self) -> None:
        """Every party's accounts are exactly the expected ones with the expected balances; books balance."""
        accounts: dict[str, pb.Account] = {}
        for party in self.parties:
            token = ""
            while True:
                page = self.stub.ListAccounts(pb.ListAccountsRequest(party=f"parties/{party}", page_token=token))
                accounts.update({a.name: a for a in page.accounts})
                token = page.next_page_token
                if not token:
                    break
        assert sorted(accounts) == sorted(self.expected)
        names = sorted(accounts)
        found: dict[str, Decimal] = {}
        for i in range(0, len(names), 1000):
            response = self.stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=names[i : i + 1000]))
            for balance in response.balances:
                assert balance.balance.commodity == accounts[balance.account].commodity
                found[balance.account] = Decimal(balance.balance.value)
        wrong = {n: (str(self.expected[n]), str(found[n])) for n in names if found[n] != self.expected[n]}
        assert not wrong, f"(expected, found): {wrong}"
        # Trial balance per party and commodity, with signs by account type, from the API ...
        sums: dict[tuple[str, str], Decimal] = {}
        for name, account in accounts.items():
            sign = 1 if account.type in DEBIT_NORMAL else -1
            key = (account.party, account.commodity)
            sums[key] = sums.get(key, Decimal(0)) + sign * found[name]
        assert all(v == 0 for v in sums.values()), sums
        # ... and from the ledger itself.
        for party in self.parties:
            assert all(v == 0 for v in self.ledger.trial_balance(party).values()), party


def retried(call: Callable[[Any], Any], request: Any) -> Any:
    """Send a mutating request twice with the same request_id: the second answer equals the first, and
    says it is a replay where the answer has a `replayed` field (the first does not)."""
    first = call(request)
    second = call(request)
    if "replayed" in type(first).DESCRIPTOR.fields_by_name:
        assert (first.replayed, second.replayed) == (False, True)
        second = type(second).FromString(second.SerializeToString())
        second.ClearField("replayed")
    assert second == first
    return first


def refused(call: Callable[[Any], Any], request: Any, code: grpc.StatusCode, ledger: Ledger) -> grpc.RpcError:
    """The call fails with `code` and the database is exactly as before."""
    before = snapshot(ledger.engines.writer)
    with pytest.raises(grpc.RpcError) as caught:
        call(request)
    assert caught.value.code() == code, caught.value.details()
    assert_unchanged(before, snapshot(ledger.engines.writer))
    return caught.value


def deal_accounts(deal: str, *, subsidy: bool = True, insurer: bool = True) -> list[str]:
    """The accounts a booking opens (docs/accounting.md, chart of accounts)."""
    names = [
        acct(BANK, "clearing"),
        acct(BANK, f"loans.{deal}"),
        acct(BANK, f"interest-receivable.{deal}"),
        acct(BANK, f"subsidy-receivable.{deal}"),
        acct(BANK, f"compensation-receivable.{deal}"),
        acct(BANK, f"insurance-receivable.{deal}"),
        acct(BANK, f"compensation-received.{deal}"),
        acct(BANK, f"insurance-compensation.{deal}"),
        acct(BANK, "interest-income"),
        acct(BANK, "loan-loss"),
        acct(ARM, f"options.{deal}"),
        acct(ARM, f"options-granted.{deal}"),
        acct(POOL, "cash"),
        acct(POOL, "capital"),
        acct(POOL, "compensation-expense"),
        acct(POOL, f"claims-payable.{deal}"),
    ]
    if subsidy:
        names += [acct(FUND, "cash"), acct(FUND, "subsidy-expense"), acct(FUND, f"subsidy-payable.{deal}")]
    if insurer:
        names += [acct(INSURER, "claims-expense"), acct(INSURER, f"claims-payable.{deal}")]
    return names


def reused(call: Callable[[Any], Any], request: Any, ledger: Ledger) -> None:
    """Same request_id, different payload: ALREADY_EXISTS, nothing changes."""
    error = refused(call, request, grpc.StatusCode.ALREADY_EXISTS, ledger)
    assert "already used" in (error.details() or "")


INSURER_STAFF = (("x-toudai-principal", "insurer-claims-liu"),)  # the insurer's claims staff (not the filer)


def approve_insurance(channel: grpc.Channel, deal: str, *, value_date: str = "") -> Any:
    """The insurer's staff approve the claim the deal's default filed (docs/insurance.md); the claim."""
    from toudai.v1 import insurance_pb2 as ipb
    from toudai.v1 import insurance_pb2_grpc

    request = ipb.ApproveInsuranceClaimRequest(
        request_id=f"insure-{deal}", name=f"insuranceClaims/{deal}", value_date=date(value_date) if value_date else None
    )
    return insurance_pb2_grpc.InsuranceServiceStub(channel).ApproveInsuranceClaim(request, metadata=INSURER_STAFF).claim
