"""Linked deals end to end over real gRPC, on SQLite and PostgreSQL (issue 4).

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
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.type import date_pb2, money_pb2

from ledger.store import Ledger
from tests.chains import verify_book
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
    for party, kind in parties.items():
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"party-{party}", party_id=party, display_name=party, kind=kind)
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
    """Send a mutating request twice with the same request_id: the second answer equals the first."""
    first = call(request)
    second = call(request)
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


# ---------------------------------------------------------------------- the worked example


def test_worked_example_from_booking_to_write_off(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    create_parties(stub)
    books = Books(stub, ledger, list(PARTIES))
    books.check()  # no accounts anywhere yet
    name = "deals/hz-2025-001"
    d = "hz-2025-001"
    loans, interest, subsidy_rec = (
        acct(BANK, f"loans.{d}"),
        acct(BANK, f"interest-receivable.{d}"),
        acct(BANK, f"subsidy-receivable.{d}"),
    )
    clearing, income, loss = acct(BANK, "clearing"), acct(BANK, "interest-income"), acct(BANK, "loan-loss")
    comp_rec, ins_rec = acct(BANK, f"compensation-receivable.{d}"), acct(BANK, f"insurance-receivable.{d}")
    options, granted = acct(ARM, f"options.{d}"), acct(ARM, f"options-granted.{d}")
    pool_cash, pool_capital = acct(POOL, "cash"), acct(POOL, "capital")
    pool_expense, pool_claims = acct(POOL, "compensation-expense"), acct(POOL, f"claims-payable.{d}")
    fund_cash, fund_expense, fund_payable = (
        acct(FUND, "cash"),
        acct(FUND, "subsidy-expense"),
        acct(FUND, f"subsidy-payable.{d}"),
    )
    ins_expense, ins_payable = acct(INSURER, "claims-expense"), acct(INSURER, f"claims-payable.{d}")

    # 1. Booking: 10,000,000.00 × 10% ÷ 10.00 = 100,000 option units, commodity OPT-HZ-2025-001.
    book = dpb.BookLinkedDealRequest(request_id="book-001", deal_id=d, terms=deal_terms())
    deal = retried(deals.BookLinkedDeal, book).deal
    assert (deal.name, deal.status, deal.option_quantity) == (name, dpb.DEAL_STATUS_BOOKED, 100_000)
    assert deal.option_commodity == "OPT-HZ-2025-001"
    assert deal.terms.borrower.uscc == USCC_A and deal.terms.loan.annual_rate == "0.0435"
    books.open(*deal_accounts(d))
    books[options] = "100000"
    books[granted] = "100000"
    books.check()
    reused(
        deals.BookLinkedDeal,
        dpb.BookLinkedDealRequest(request_id="book-001", deal_id="hz-2025-999", terms=deal_terms()),
        ledger,
    )
    # The option right sits in the holder's book as units, with no money value.
    option_balance = stub.GetBalance(pb.GetBalanceRequest(account=options)).balance
    assert (option_balance.balance.commodity, option_balance.balance.value) == ("OPT-HZ-2025-001", "100000")

    # The schedule: 12 monthly periods; period 1 as worked out above; period 2 runs 3 Apr → 5 May (32 days)
    # on 10,000,000.00: 435,000 × 32 / 360 = 38,666.67, subsidy 365,000 × 32 / 360 = 32,444.44.
    schedule = deals.GetSchedule(dpb.GetScheduleRequest(name=name))
    assert len(schedule.periods) == 12
    p1, p2, last = schedule.periods[0], schedule.periods[1], schedule.periods[-1]
    assert (p1.days, yuan(p1.interest), yuan(p1.subsidy), yuan(p1.borrower_interest)) == (
        31,
        Decimal("37458.33"),
        Decimal("31430.56"),
        Decimal("6027.77"),
    )
    assert p2.payment_date == date("2025-05-05") and p2.days == 32
    assert (yuan(p2.interest), yuan(p2.subsidy), yuan(p2.borrower_interest)) == (
        Decimal("38666.67"),
        Decimal("32444.44"),
        Decimal("6222.23"),
    )
    assert last.payment_date == date("2026-03-03") and yuan(last.principal) == Decimal("10000000.00")
    assert yuan(last.borrower_payment) == yuan(last.principal) + yuan(last.borrower_interest)

    # 2. The pool is funded with 500,000.00 (less than this loan's 3,000,000.00 cap).
    funded = retried(
        deals.FundRiskPool,
        dpb.FundRiskPoolRequest(
            request_id="fund-1", risk_pool=f"parties/{POOL}", amount=cny("500000.00"), value_date=date("2025-03-03")
        ),
    )
    assert yuan(funded.claims_paid) == 0 and len(funded.transactions) == 1
    books[pool_cash] = "500000.00"
    books[pool_capital] = "500000.00"
    books.check()
    reused(
        deals.FundRiskPool,
        dpb.FundRiskPoolRequest(
            request_id="fund-1", risk_pool=f"parties/{POOL}", amount=cny("500000.01"), value_date=date("2025-03-03")
        ),
        ledger,
    )

    # The subsidy fund's budget arrives through the plain ledger (an account the deal desk never touches).
    stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id="fund-budget",
            party=f"parties/{FUND}",
            code="budget",
            display_name="Fiscal budget",
            type=pb.ACCOUNT_TYPE_EQUITY,
            commodity="CNY",
        )
    )
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="budget-2025",
                    value_date=date("2025-03-03"),
                    description="2025 subsidy budget",
                    postings=[
                        pb.Posting(
                            account=fund_cash, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value="100000.00")
                        ),
                        pb.Posting(
                            account=acct(FUND, "budget"),
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="100000.00"),
                        ),
                    ],
                )
            ]
        )
    )
    books.open(acct(FUND, "budget"))
    books[fund_cash] = "100000.00"
    books[acct(FUND, "budget")] = "100000.00"
    books.check()

    # 3. Disbursement on the start date (no value date given).
    disbursed = retried(deals.DisburseLoan, dpb.DisburseLoanRequest(request_id="disburse-001", name=name))
    assert disbursed.deal.status == dpb.DEAL_STATUS_DISBURSED and disbursed.transaction.startswith("transactions/")
    assert disbursed.deal.accrued_to == date("2025-03-03")
    books[loans] = "10000000.00"
    books[clearing] = "-10000000.00"
    books.check()
    reused(
        deals.DisburseLoan,
        dpb.DisburseLoanRequest(request_id="disburse-001", name=name, value_date=date("2025-03-04")),
        ledger,
    )

    # 4. Accrual to the first payment date: 37,458.33 of which the fund owes 31,430.56.
    accrued = retried(
        deals.AccrueInterest, dpb.AccrueInterestRequest(request_id="accrue-1", name=name, to_date=date("2025-04-03"))
    )
    assert (yuan(accrued.accrued), yuan(accrued.subsidy)) == (Decimal("37458.33"), Decimal("31430.56"))
    assert yuan(accrued.deal.interest_receivable) == Decimal("6027.77")
    books[interest] = "6027.77"
    books[subsidy_rec] = "31430.56"
    books[income] = "37458.33"
    books[fund_expense] = "31430.56"
    books[fund_payable] = "31430.56"
    books.check()
    reused(
        deals.AccrueInterest,
        dpb.AccrueInterestRequest(request_id="accrue-1", name=name, to_date=date("2025-04-04")),
        ledger,
    )
    # Accruing to the same date under another request_id posts nothing.
    again = deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="accrue-1-again", name=name, to_date=date("2025-04-03"))
    )
    assert (yuan(again.accrued), yuan(again.subsidy), again.transaction) == (0, 0, "")
    books.check()

    # 5. The borrower pays the period's interest; the fund settles its subsidy alongside.
    repaid = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-1", name=name, amount=cny("6027.77"), value_date=date("2025-04-03")
        ),
    )
    assert [yuan(m) for m in (repaid.overdue_interest, repaid.interest, repaid.principal, repaid.subsidy)] == [
        0,
        Decimal("6027.77"),
        0,
        Decimal("31430.56"),
    ]
    assert repaid.deal.status == dpb.DEAL_STATUS_REPAYING
    books[interest] = "0"
    books[subsidy_rec] = "0"
    books[clearing] = "-9962541.67"  # -10,000,000.00 + 6,027.77 + 31,430.56
    books[fund_payable] = "0"
    books[fund_cash] = "68569.44"  # 100,000.00 - 31,430.56
    books.check()
    reused(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-1", name=name, amount=cny("6027.78"), value_date=date("2025-04-03")
        ),
        ledger,
    )

    # 6. Prepayment on 18 April: 15 days accrue first (18,125.00; fund 15,208.33; borrower 2,916.67); of the
    # 1,002,916.67 paid, 2,916.67 settles that interest and 1,000,000.00 reduces principal, no fee.
    prepaid = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-2", name=name, amount=cny("1002916.67"), value_date=date("2025-04-18")
        ),
    )
    assert [yuan(m) for m in (prepaid.overdue_interest, prepaid.interest, prepaid.principal, prepaid.subsidy)] == [
        0,
        Decimal("2916.67"),
        Decimal("1000000.00"),
        Decimal("15208.33"),
    ]
    books[loans] = "9000000.00"
    books[income] = "55583.33"  # 37,458.33 + 18,125.00
    books[fund_expense] = "46638.89"  # 31,430.56 + 15,208.33
    books[fund_cash] = "53361.11"  # 68,569.44 - 15,208.33
    books[clearing] = "-8944416.67"  # -9,962,541.67 + 1,002,916.67 + 15,208.33
    books.check()
    # The schedule is not recomputed after a prepayment.
    assert deals.GetSchedule(dpb.GetScheduleRequest(name=name)) == schedule

    # 7. Accrual to the second payment date, 5 May: 17 days on 9,000,000.00.
    accrued = retried(
        deals.AccrueInterest, dpb.AccrueInterestRequest(request_id="accrue-2", name=name, to_date=date("2025-05-05"))
    )
    assert (yuan(accrued.accrued), yuan(accrued.subsidy)) == (Decimal("18487.50"), Decimal("15512.50"))
    books[interest] = "2975.00"
    books[subsidy_rec] = "15512.50"
    books[income] = "74070.83"  # 55,583.33 + 18,487.50
    books[fund_expense] = "62151.39"  # 46,638.89 + 15,512.50
    books[fund_payable] = "15512.50"
    books.check()

    # 8. Nothing paid on 5 May; on 20 May the borrower pays 3,000.00. Accrual first: 15 days, 16,312.50
    # (fund 13,687.50, borrower 2,625.00). Interest due 2,975.00 (overdue, period 2) + 2,625.00 (current):
    # 2,975.00 overdue first, then 25.00 of current interest, nothing to principal. The fund settles
    # 15,512.50 + 13,687.50 = 29,200.00.
    partial = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-3", name=name, amount=cny("3000.00"), value_date=date("2025-05-20")
        ),
    )
    assert [yuan(m) for m in (partial.overdue_interest, partial.interest, partial.principal, partial.subsidy)] == [
        Decimal("2975.00"),
        Decimal("25.00"),
        0,
        Decimal("29200.00"),
    ]
    books[interest] = "2600.00"  # 2,975.00 + 2,625.00 - 3,000.00
    books[subsidy_rec] = "0"
    books[income] = "90383.33"  # 74,070.83 + 16,312.50
    books[fund_expense] = "75838.89"  # 62,151.39 + 13,687.50
    books[fund_payable] = "0"
    books[fund_cash] = "24161.11"  # 53,361.11 - 29,200.00
    books[clearing] = "-8912216.67"  # -8,944,416.67 + 3,000.00 + 29,200.00
    books.check()

    # 9. Default the same day. Loss = 9,000,000.00 + 2,600.00 = 9,002,600.00. The unsecured tier applies
    # (80% unsecured ≥ 70%): 70% = 6,301,820.00, capped at 3,000,000.00. The pool holds 500,000.00: it pays
    # that and owes 2,500,000.00 as a claim. The insurer owes 20% = 1,800,520.00. Recoveries of
    # 4,800,520.00 reduce principal first: 9,000,000.00 - 4,800,520.00 = 4,199,480.00 left.
    defaulted = retried(
        deals.RecordDefault,
        dpb.RecordDefaultRequest(
            request_id="default-1", name=name, value_date=date("2025-05-20"), reason="missed payments"
        ),
    )
    assert [
        yuan(m)
        for m in (defaulted.loss, defaulted.compensation_paid, defaulted.compensation_claim, defaulted.insurer_share)
    ] == [
        Decimal("9002600.00"),
        Decimal("500000.00"),
        Decimal("2500000.00"),
        Decimal("1800520.00"),
    ]
    assert defaulted.deal.status == dpb.DEAL_STATUS_DEFAULTED
    books[clearing] = "-8412216.67"  # + 500,000.00 from the pool
    books[comp_rec] = "2500000.00"
    books[ins_rec] = "1800520.00"
    books[loans] = "4199480.00"
    books[pool_cash] = "0"
    books[pool_expense] = "3000000.00"
    books[pool_claims] = "2500000.00"
    books[ins_expense] = "1800520.00"
    books[ins_payable] = "1800520.00"
    books.check()
    reused(
        deals.RecordDefault,
        dpb.RecordDefaultRequest(request_id="default-1", name=name, value_date=date("2025-05-20"), reason="fraud"),
        ledger,
    )

    # 10. The pool is refilled with 3,000,000.00 and pays the open claim of 2,500,000.00 at once.
    refill = dpb.FundRiskPoolRequest(
        request_id="fund-2", risk_pool=f"parties/{POOL}", amount=cny("3000000.00"), value_date=date("2025-06-03")
    )
    refilled = retried(deals.FundRiskPool, refill)
    assert yuan(refilled.claims_paid) == Decimal("2500000.00") and len(refilled.transactions) == 2
    books[pool_cash] = "500000.00"  # 0 + 3,000,000.00 - 2,500,000.00
    books[pool_capital] = "3500000.00"
    books[pool_claims] = "0"
    books[comp_rec] = "0"
    books[clearing] = "-5912216.67"  # -8,412,216.67 + 2,500,000.00
    books.check()
    # A second funding finds no claim left.
    more = deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-3", risk_pool=f"parties/{POOL}", amount=cny("1.00"), value_date=date("2025-06-04")
        )
    )
    assert yuan(more.claims_paid) == 0
    books[pool_cash] = "500001.00"
    books[pool_capital] = "3500001.00"
    books.check()

    # 11. Write-off of what no one will pay: 4,199,480.00 principal + 2,600.00 interest = 4,202,080.00.
    written = retried(
        deals.WriteOff, dpb.WriteOffRequest(request_id="write-off-1", name=name, value_date=date("2025-06-30"))
    )
    assert yuan(written.written_off) == Decimal("4202080.00")
    assert written.deal.status == dpb.DEAL_STATUS_WRITTEN_OFF
    books[loans] = "0"
    books[interest] = "0"
    books[loss] = "4202080.00"
    books.check()
    reused(
        deals.WriteOff, dpb.WriteOffRequest(request_id="write-off-1", name=name, value_date=date("2025-07-01")), ledger
    )
    # What the bank got back: 10,000,000.00 out, 4,087,783.33 in (interest, subsidy, prepayment, pool).
    assert Decimal("10000000.00") - Decimal("-5912216.67").copy_abs() == Decimal("4087783.33")

    # The deal's history, and listing by branch / status / borrower / holder.
    final = deals.GetDeal(dpb.GetDealRequest(name=name)).deal
    assert [e.kind for e in final.events] == [
        "booked",
        "disbursed",
        "accrued",
        "accrued",
        "repaid",
        "repaid",
        "accrued",
        "repaid",
        "defaulted",
        "claim_paid",
        "written_off",
    ]
    assert final.events[-3].details["note"] == "missed payments"
    for request in (
        dpb.ListDealsRequest(branch=f"parties/{BANK}"),
        dpb.ListDealsRequest(status=dpb.DEAL_STATUS_WRITTEN_OFF),
        dpb.ListDealsRequest(borrower_uscc=USCC_A),
        dpb.ListDealsRequest(holder=f"parties/{ARM}"),
    ):
        assert [x.name for x in deals.ListDeals(request).deals] == [name]
    assert list(deals.ListDeals(dpb.ListDealsRequest(status=dpb.DEAL_STATUS_CLOSED)).deals) == []
    for party in PARTIES:
        report = verify_book(ledger, party)
        assert report.ok, report.faults


# ---------------------------------------------------------------------- repaid and closed


def test_equal_principal_deal_repaid_on_schedule_and_closed(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    """300,000.00 at 5% ACT/365F, equal principal over three months, no subsidy and no insurer.

    2 Jun → 2 Jul (30 days): 300,000.00 × 5% × 30 / 365 = 1,232.88; 2 Jul → 4 Aug (2 Aug is a Saturday,
    33 days) on 200,000.00: 904.11; 4 Aug → 2 Sep (29 days) on 100,000.00: 397.26. Each payment is
    100,000.00 of principal plus that interest.
    """
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-002", "deals/hz-2025-002"
    terms = deal_terms(
        uscc=USCC_B,
        principal="300000.00",
        rate="0.05",
        start="2025-06-02",
        maturity="2025-09-02",
        day_count=dpb.DAY_COUNT_CONVENTION_ACT_365F,
        schedule=dpb.SCHEDULE_TYPE_EQUAL_PRINCIPAL,
        subsidy=dpb.SubsidyTerms(),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
        option=dpb.OptionTerms(
            holder=f"parties/{ARM}",
            company="Jiaxing Robotics",
            share_class="A",
            quantity_basis=dpb.OPTION_QUANTITY_BASIS_SHARES,
            shares=5_000,
            strike_basis=dpb.STRIKE_BASIS_FIXED_PRICE,
            strike_price="8.00",
            exercise_window_start=date("2025-06-02"),
            exercise_window_end=date("2032-06-02"),
            triggers=[dpb.EXERCISE_TRIGGER_MERGER],
        ),
    )
    deal = deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-002", deal_id=d, terms=terms)).deal
    assert deal.option_quantity == 5_000
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "5000"
    books[acct(ARM, f"options-granted.{d}")] = "5000"
    books.check()
    schedule = deals.GetSchedule(dpb.GetScheduleRequest(name=name))
    assert [yuan(p.borrower_payment) for p in schedule.periods] == [
        Decimal("101232.88"),
        Decimal("100904.11"),
        Decimal("100397.26"),
    ]
    assert yuan(schedule.total_interest) == Decimal("2534.25") and yuan(schedule.total_subsidy) == 0

    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-002", name=name, value_date=date("2025-06-02")))
    loans, clearing, income = acct(BANK, f"loans.{d}"), acct(BANK, "clearing"), acct(BANK, "interest-income")
    books[loans] = "300000.00"
    books[clearing] = "-300000.00"
    books.check()

    # Closing with balances left is refused, naming what is left.
    error = refused(
        deals.CloseDeal,
        dpb.CloseDealRequest(request_id="close-early", name=name),
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert "300000.00 CNY on loans" in (error.details() or "")

    payments = [
        ("2025-07-02", "101232.88", "1232.88"),
        ("2025-08-04", "100904.11", "904.11"),
        ("2025-09-02", "100397.26", "397.26"),
    ]
    outstanding = [Decimal("200000.00"), Decimal("100000.00"), Decimal(0)]
    income_total = [Decimal("1232.88"), Decimal("2136.99"), Decimal("2534.25")]
    cash = [Decimal("-198767.12"), Decimal("-97863.01"), Decimal("2534.25")]
    for n, (day, amount, interest) in enumerate(payments):
        paid = retried(
            deals.RecordRepayment,
            dpb.RecordRepaymentRequest(request_id=f"pay-002-{n}", name=name, amount=cny(amount), value_date=date(day)),
        )
        assert (yuan(paid.interest), yuan(paid.principal), yuan(paid.overdue_interest)) == (
            Decimal(interest),
            Decimal("100000.00"),
            0,
        )
        books[loans] = str(outstanding[n])
        books[income] = str(income_total[n])
        books[clearing] = str(cash[n])
        books.check()

    closed = retried(deals.CloseDeal, dpb.CloseDealRequest(request_id="close-002", name=name))
    assert closed.deal.status == dpb.DEAL_STATUS_CLOSED
    books.check()  # closing posts nothing
    # The option right outlives the loan: the units stay in the holder's book.
    assert books.expected[acct(ARM, f"options.{d}")] == 5000


# ---------------------------------------------------------------------- first-loan tier, pool sufficient


def test_first_loan_tier_paid_in_full_by_a_funded_pool(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    """200,000.00 at 3.6% ACT/360 defaults after 10 days: interest 200,000.00 × 3.6% × 10 / 360 = 200.00;
    loss 200,200.00; first loan → 90% = 180,180.00 (below the 3,000,000.00 cap), all paid from the pool."""
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-003", "deals/hz-2025-003"
    terms = deal_terms(
        principal="200000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(
            risk_pool=f"parties/{POOL}",
            base_rate="0.50",
            first_loan=True,
            first_loan_rate="0.90",
            unsecured_share="0.80",
            unsecured_threshold="0.70",
            unsecured_rate="0.70",
            cap=cny("3000000.00"),
        ),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-003", deal_id=d, terms=terms))
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    # 200,000.00 × 10% ÷ 10.00 = 2,000 units.
    books[acct(ARM, f"options.{d}")] = "2000"
    books[acct(ARM, f"options-granted.{d}")] = "2000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-003", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-07-01")
        )
    )
    books[acct(POOL, "cash")] = "1000000.00"
    books[acct(POOL, "capital")] = "1000000.00"
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-003", name=name))
    books[acct(BANK, f"loans.{d}")] = "200000.00"
    books[acct(BANK, "clearing")] = "-200000.00"
    books.check()
    # Write-off of a performing loan is refused.
    error = refused(
        deals.WriteOff,
        dpb.WriteOffRequest(request_id="wo-early", name=name, value_date=date("2025-07-05")),
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert "is disbursed" in (error.details() or "")

    result = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default-003", name=name, value_date=date("2025-07-11"))
    )
    assert [
        yuan(m) for m in (result.loss, result.compensation_paid, result.compensation_claim, result.insurer_share)
    ] == [
        Decimal("200200.00"),
        Decimal("180180.00"),
        0,
        0,
    ]
    books[acct(BANK, f"interest-receivable.{d}")] = "200.00"
    books[acct(BANK, "interest-income")] = "200.00"
    books[acct(BANK, f"loans.{d}")] = "19820.00"  # 200,000.00 - 180,180.00
    books[acct(BANK, "clearing")] = "-19820.00"  # -200,000.00 + 180,180.00
    books[acct(POOL, "cash")] = "819820.00"
    books[acct(POOL, "compensation-expense")] = "180180.00"
    books.check()
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo-003", name=name, value_date=date("2025-07-31")))
    assert yuan(written.written_off) == Decimal("20020.00")  # 19,820.00 + 200.00
    books[acct(BANK, f"loans.{d}")] = "0"
    books[acct(BANK, f"interest-receivable.{d}")] = "0"
    books[acct(BANK, "loan-loss")] = "20020.00"
    books.check()


# ---------------------------------------------------------------------- concurrency


def test_concurrent_repayments_on_one_deal_serialize(
    stub: Stub, deals: Deals, ledger: Ledger, server_address: str
) -> None:
    """1,000,000.00 at 3.6% ACT/360, 10 days to 11 July: interest 1,000,000.00 × 3.6% × 10 / 360 = 1,000.00.
    Eight threads pay 500.00 twice each on 11 July: 8,000.00 = 1,000.00 interest + 7,000.00 principal."""
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-004", "deals/hz-2025-004"
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-004", deal_id=d, terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-004", name=name))
    errors: list[BaseException] = []
    results: list[dpb.RecordRepaymentResponse] = []
    lock = threading.Lock()

    def pay(thread: int) -> None:
        with grpc.insecure_channel(server_address) as channel:
            client = deals_pb2_grpc.DealServiceStub(channel)
            for n in range(2):
                try:
                    response = client.RecordRepayment(
                        dpb.RecordRepaymentRequest(
                            request_id=f"pay-{thread}-{n}",
                            name=name,
                            amount=cny("500.00"),
                            value_date=date("2025-07-11"),
                        )
                    )
                    with lock:
                        results.append(response)
                except BaseException as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 16
    assert sum(yuan(r.interest) + yuan(r.overdue_interest) for r in results) == Decimal("1000.00")
    assert sum(yuan(r.principal) for r in results) == Decimal("7000.00")
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "10000"  # 1,000,000.00 × 10% ÷ 10.00
    books[acct(ARM, f"options-granted.{d}")] = "10000"
    books[acct(BANK, f"loans.{d}")] = "993000.00"
    books[acct(BANK, "interest-income")] = "1000.00"
    books[acct(BANK, "clearing")] = "-992000.00"  # -1,000,000.00 + 8,000.00
    books.check()
    deal = deals.GetDeal(dpb.GetDealRequest(name=name)).deal
    assert [e.kind for e in deal.events].count("repaid") == 16
    for party in (BANK, ARM, POOL):
        assert verify_book(ledger, party).ok
