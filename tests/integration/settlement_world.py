"""The world of the exercise-workflow tests (test_settlement_flow.py, test_settlement_transitions.py).

The exercise workflow and the proceeds split over real gRPC, on SQLite and PostgreSQL (issue 6).

The world of every test (worked out by hand; amounts CNY):
  parties bank-hz (branch), invest-arm (investment arm), pool-zj (risk pool);
  the arm holds 5,000,000.00 of cash (from its capital); the pool is funded with 1,000,000.00;
  a first loan hz-first of 1,000,000.00 to the same borrower is disbursed and defaults on its start date:
    loss 1,000,000.00 (no interest accrued), base rate 50% = 500,000.00, capped at 200,000.00: the pool
    pays exactly 200,000.00 (pool cash 800,000.00; bank clearing −1,000,000.00 + 200,000.00 = −800,000.00,
    loans.hz-first still 1,000,000.00 owed by the borrower, compensation-received.hz-first 200,000.00);
    its right is 1,000,000.00 × 10% ÷ 10.00 = 10,000 units;
  the linked deal hz-main: loan 10,000,000.00, coverage 10%, strike 10.00 → 100,000 option units,
    split 30 / 50 / 20, triggers qualifying round (≥ 50,000,000.00) and IPO, window 2026-02-01 → 2033-02-01;
  a funding round on 2026-06-01: 2,000,000 class-B shares at 25.00 = 50,000,000.00 raised (qualifying).

The worked example of domain.md: cash exercise and sale of 100,000 units: pay 1,000,000.00, sell for
2,500,000.00, gain 1,500,000.00; the pool takes back its 200,000.00 first; the remaining 1,300,000.00 split
30 / 50 / 20 gives bank 390,000.00, arm 650,000.00, pool 260,000.00. After every step the test compares
EVERY account of every party with the hand-worked figures, checks every party's trial balance is zero and
that every book's hash chain verifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2, money_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
from tests.agreements_world import generous_risk, sign_agreements
from tests.chains import verify_book
from tests.integration.dbstate import assert_unchanged, snapshot
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc, ledger_pb2_grpc, settlement_pb2_grpc, valuation_pb2, valuation_pb2_grpc
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import settlement_pb2 as spb

BANK, ARM, POOL = "bank-hz", "invest-arm", "pool-zj"
PARTIES = {BANK: pb.PARTY_KIND_BANK_BRANCH, ARM: pb.PARTY_KIND_INVESTMENT_ARM, POOL: pb.PARTY_KIND_RISK_POOL}
USCC = "91350100M000100Y43"
COMPANY = "嘉兴光子科技有限公司"
FIRST, MAIN = "hz-first", "hz-main"
ALICE = (("x-toudai-principal", "arm-alice"),)  # the investment arm's officer: requests
BOB = (("x-toudai-principal", "bank-bob"),)  # the branch's staff: approves and settles
CAROL = (("x-toudai-principal", "arm-carol"),)  # another officer of the arm
CASH_AND_SALE, NET, TRANSFER = spb.EXERCISE_METHOD_CASH_AND_SALE, spb.EXERCISE_METHOD_NET, spb.EXERCISE_METHOD_TRANSFER
ROUND_TRIGGER = spb.TRIGGER_EVENT_QUALIFYING_ROUND
DEBIT_NORMAL = {pb.ACCOUNT_TYPE_ASSET, pb.ACCOUNT_TYPE_EXPENSE}
FAILED = grpc.StatusCode.FAILED_PRECONDITION


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


def split_of(split: spb.ProceedsSplitResult) -> tuple[Decimal, ...]:
    """(gain, pool reimbursement, advisory fee, bank, arm, pool) in CNY."""
    return tuple(
        yuan(getattr(split, f))
        for f in ("gain", "pool_reimbursement", "advisory_fee", "bank", "investment_arm", "risk_pool")
    )


def exercise_of(response: Any) -> spb.Exercise:
    exercise: spb.Exercise = response.exercise
    return exercise


def D(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


class Books:
    """Every account of every party, expected (non-zero balances and holds) vs found on the server."""

    def __init__(self, stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger) -> None:
        self.stub = stub
        self.ledger = ledger
        self.balances: dict[str, Decimal] = {}
        self.held: dict[str, Decimal] = {}

    def update(self, balances: dict[str, str], held: dict[str, str] | None = None) -> None:
        self.balances.update({k: Decimal(v) for k, v in balances.items()})
        if held is not None:
            self.held = {k: Decimal(v) for k, v in held.items()}

    def found(self) -> tuple[dict[str, Decimal], dict[str, Decimal], dict[str, pb.Account]]:
        accounts: dict[str, pb.Account] = {}
        for party in PARTIES:
            token = ""
            while True:
                page = self.stub.ListAccounts(pb.ListAccountsRequest(party=f"parties/{party}", page_token=token))
                accounts.update({a.name: a for a in page.accounts})
                token = page.next_page_token
                if not token:
                    break
        response = self.stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=sorted(accounts)))
        balances = {b.account: Decimal(b.balance.value) for b in response.balances}
        held = {b.account: Decimal(b.held.value) for b in response.balances}
        return balances, held, accounts

    def check(self) -> None:
        balances, held, accounts = self.found()
        nonzero = {k: v for k, v in balances.items() if v}
        expected = {k: v for k, v in self.balances.items() if v}
        wrong = {
            k: (expected.get(k), nonzero.get(k))
            for k in expected.keys() | nonzero.keys()
            if expected.get(k) != nonzero.get(k)
        }
        assert not wrong, f"balances (expected, found): {wrong}"
        held_nonzero = {k: v for k, v in held.items() if v}
        assert held_nonzero == {k: v for k, v in self.held.items() if v}, held_nonzero
        sums: dict[tuple[str, str], Decimal] = {}
        for name, account in accounts.items():
            key = (account.party, account.commodity)
            sums[key] = sums.get(key, Decimal(0)) + (1 if account.type in DEBIT_NORMAL else -1) * balances[name]
        assert all(v == 0 for v in sums.values()), sums
        for party in PARTIES:
            assert all(v == 0 for v in self.ledger.trial_balance(party).values()), party
            report = verify_book(self.ledger, party)
            assert report.ok, report.faults


@contextmanager
def unchanged(ledger: Ledger, *, ignore: frozenset[str] = frozenset()) -> Iterator[None]:
    before = snapshot(ledger.engines.writer)
    yield
    assert_unchanged(before, snapshot(ledger.engines.writer), ignore=ignore)


# An ExpireOptions call that lapses nothing still records its request id and (empty) answer, and nothing else.
LAPSE_LOG = frozenset({"option_lapse_runs"})


def refused(ledger: Ledger, call: Callable[[], Any], code: grpc.StatusCode = FAILED) -> tuple[str, str, dict[str, str]]:
    """The call fails with `code`; nothing in the database changed. Returns (message, reason, metadata)."""
    with unchanged(ledger), pytest.raises(grpc.RpcError) as caught:
        call()
    error: Any = caught.value
    assert error.code() == code, f"{error.code()}: {error.details()}"
    return error.details() or "", *_info(error)


def _info(error: Any) -> tuple[str, dict[str, str]]:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason, dict(info.metadata)
    raise AssertionError("no ErrorInfo")


# ---------------------------------------------------------------------- the world


def option_terms(
    *, start: str = "2026-02-01", end: str = "2033-02-01", triggers: tuple[Any, ...] | None = None
) -> dpb.OptionTerms:
    return dpb.OptionTerms(
        holder=f"parties/{ARM}",
        company=COMPANY,
        share_class="A",
        quantity_basis=dpb.OPTION_QUANTITY_BASIS_COVERAGE,
        coverage="0.10",
        strike_basis=dpb.STRIKE_BASIS_LAST_ROUND_PRICE,
        strike_price="10.00",
        exercise_window_start=date(start),
        exercise_window_end=date(end),
        triggers=list(triggers or (dpb.EXERCISE_TRIGGER_QUALIFYING_ROUND, dpb.EXERCISE_TRIGGER_IPO)),
        qualifying_round_size=cny("50000000.00"),
    )


def deal_terms(
    principal: str, start: str, maturity: str, option: dpb.OptionTerms, cap: str, uscc: str = USCC
) -> dpb.DealTerms:
    return dpb.DealTerms(
        branch=f"parties/{BANK}",
        borrower=dpb.Borrower(name=COMPANY, uscc=uscc, stage=dpb.BORROWER_STAGE_GROWTH),
        loan=dpb.LoanTerms(
            principal=cny(principal),
            annual_rate="0.0435",
            start_date=date(start),
            maturity_date=date(maturity),
        ),
        option=option,
        risk_sharing=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50", cap=cny(cap)),
        split=dpb.ProceedsSplit(bank_bps=3000, investment_arm_bps=5000, risk_pool_bps=2000),
    )


class World:
    """The parties, the defaulted first loan, the linked deal and the round, with stubs on one channel."""

    def __init__(
        self,
        channel: grpc.Channel,
        stub: ledger_pb2_grpc.LedgerServiceStub,
        ledger: Ledger,
        *,
        reimbursement: int = dpb.POOL_REIMBURSEMENT_BORROWER,
        first_uscc: str = USCC,
        option_on_write_off: int = 0,
    ) -> None:
        """`reimbursement`: the basis in the pool's agreement; `first_uscc`: the first (defaulted) loan's
        borrower, the main deal's by default; `option_on_write_off`: the linkage agreement's term
        (0, unspecified: the option right survives a write-off)."""
        self.reimbursement = reimbursement
        self.option_on_write_off = option_on_write_off
        self.first_uscc = first_uscc
        self.ledger = ledger
        self.stub = stub
        self.channel = channel
        self.deals = deals_pb2_grpc.DealServiceStub(channel)
        self.settlement = settlement_pb2_grpc.SettlementServiceStub(channel)
        self.valuation = valuation_pb2_grpc.ValuationServiceStub(channel)
        self.books = Books(stub, ledger)
        self.round = ""
        self._n = 0

    def rid(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def build(self) -> World:
        for party, kind in PARTIES.items():
            self.stub.CreateParty(
                pb.CreatePartyRequest(request_id=f"party-{party}", party_id=party, display_name=party, kind=kind)
            )
        risk = generous_risk()
        risk.reimbursement = self.reimbursement  # type: ignore[assignment]
        sign_agreements(
            self.channel, branch=BANK, arm=ARM, pool=POOL, risk=risk, option_on_write_off=self.option_on_write_off
        )
        for code, account_type, guarded in (
            ("cash", pb.ACCOUNT_TYPE_ASSET, True),
            ("capital", pb.ACCOUNT_TYPE_EQUITY, False),
        ):
            self.stub.CreateAccount(
                pb.CreateAccountRequest(
                    request_id=f"arm-{code}",
                    party=f"parties/{ARM}",
                    code=code,
                    display_name=code,
                    type=account_type,
                    commodity="CNY",
                    must_not_go_negative=guarded,
                )
            )
        self.stub.PostTransactions(
            pb.PostTransactionsRequest(
                transactions=[
                    pb.TransactionInput(
                        request_id="arm-capital",
                        value_date=date("2026-01-05"),
                        description="Paid-in capital of the investment arm",
                        postings=[
                            pb.Posting(
                                account=acct(ARM, "cash"),
                                side=pb.SIDE_DEBIT,
                                amount=pb.Amount(commodity="CNY", value="5000000.00"),
                            ),
                            pb.Posting(
                                account=acct(ARM, "capital"),
                                side=pb.SIDE_CREDIT,
                                amount=pb.Amount(commodity="CNY", value="5000000.00"),
                            ),
                        ],
                    )
                ]
            )
        )
        self.deals.FundRiskPool(
            dpb.FundRiskPoolRequest(
                request_id="fund-pool",
                risk_pool=f"parties/{POOL}",
                amount=cny("1000000.00"),
                value_date=date("2026-01-10"),
            )
        )
        first = deal_terms(
            "1000000.00", "2026-01-15", "2027-01-15", option_terms(start="2026-01-15"), "200000.00", self.first_uscc
        )
        self.deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-first", deal_id=FIRST, terms=first))
        self.deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-first", name=f"deals/{FIRST}"))
        default = self.deals.RecordDefault(
            dpb.RecordDefaultRequest(
                request_id="default-first",
                name=f"deals/{FIRST}",
                value_date=date("2026-01-15"),
                reason="the first loan failed",
            )
        )
        assert (yuan(default.loss), yuan(default.compensation_paid), yuan(default.compensation_claim)) == D(
            "1000000.00", "200000.00", "0.00"
        )
        main = deal_terms("10000000.00", "2026-02-01", "2027-02-01", option_terms(), "3000000.00")
        booked = self.deals.BookLinkedDeal(
            dpb.BookLinkedDealRequest(request_id="book-main", deal_id=MAIN, terms=main)
        ).deal
        assert booked.option_quantity == 100_000
        self.round = self.record_round("25.00")
        self.books.update(
            {
                acct(ARM, "cash"): "5000000.00",
                acct(ARM, "capital"): "5000000.00",
                acct(ARM, f"options.{FIRST}"): "10000",
                acct(ARM, f"options-granted.{FIRST}"): "10000",
                acct(ARM, f"options.{MAIN}"): "100000",
                acct(ARM, f"options-granted.{MAIN}"): "100000",
                acct(POOL, "cash"): "800000.00",
                acct(POOL, "capital"): "1000000.00",
                acct(POOL, "compensation-expense"): "200000.00",
                acct(BANK, "clearing"): "-800000.00",
                acct(BANK, f"loans.{FIRST}"): "1000000.00",
                acct(BANK, f"compensation-received.{FIRST}"): "200000.00",
            },
            {},
        )
        self.books.check()
        return self

    def record_round(self, price: str, day: str = "2026-06-01") -> str:
        response = self.valuation.RecordFundingRound(
            valuation_pb2.RecordFundingRoundRequest(
                request_id=self.rid("round"),
                company=COMPANY,
                round_date=date(day),
                share_class="B",
                price_per_share=price,
                shares_issued=2_000_000,
                cap_table=valuation_pb2.CapTable(
                    classes=[
                        valuation_pb2.ShareClass(name="common", shares=8_000_000),
                        valuation_pb2.ShareClass(name="A", shares=1_000_000),
                        valuation_pb2.ShareClass(name="B", shares=2_000_000),
                    ]
                ),
            )
        )
        return str(response.funding_round.name)

    # -- settlement calls

    def request_message(
        self,
        quantity: int,
        method: Any = CASH_AND_SALE,
        *,
        request_id: str | None = None,
        deal: str = MAIN,
        value_date: str = "2026-06-02",
        **fields: Any,
    ) -> spb.RequestExerciseRequest:
        message = spb.RequestExerciseRequest(
            request_id=request_id or self.rid("request"),
            deal=f"deals/{deal}",
            quantity=quantity,
            method=method,
            trigger=fields.pop("trigger", ROUND_TRIGGER),
            funding_round=fields.pop("funding_round", self.round),
            value_date=date(value_date),
            **fields,
        )
        return message

    def request(self, quantity: int, method: Any = CASH_AND_SALE, **kwargs: Any) -> spb.Exercise:
        message = self.request_message(quantity, method, **kwargs)
        return exercise_of(self.settlement.RequestExercise(message, metadata=ALICE))

    def approve(self, name: str, who: Any = BOB, reason: str = "terms checked") -> spb.Exercise:
        request = spb.ApproveExerciseRequest(request_id=self.rid("approve"), name=name, reason=reason)
        return exercise_of(self.settlement.ApproveExercise(request, metadata=who))

    def settle(self, name: str, who: Any = BOB, request_id: str | None = None) -> spb.Exercise:
        request = spb.SettleExerciseRequest(request_id=request_id or self.rid("settle"), name=name)
        return exercise_of(self.settlement.SettleExercise(request, metadata=who))

    def get(self, name: str) -> spb.Exercise:
        return exercise_of(self.settlement.GetExercise(spb.GetExerciseRequest(name=name)))


@pytest.fixture
def world(channel: grpc.Channel, stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger) -> World:
    return World(channel, stub, ledger).build()


def exercise_accounts() -> dict[str, str]:
    """The accounts a first request opens on hz-main, all at zero (settlement/accounting.py)."""
    names = [
        acct(ARM, f"{code}.{MAIN}")
        for code in (
            "options-exercised",
            "exercise-clearing",
            "due-to-bank",
            "due-to-pool",
            "shares",
            "shares-acquired",
            "shares-at-cost",
        )
    ]
    names += [acct(ARM, "option-gains"), acct(ARM, "exit-gains")]
    names += [acct(BANK, f"due-from-arm.{MAIN}"), acct(BANK, "advisory-fee-income"), acct(BANK, "option-gain-income")]
    names += [acct(POOL, f"due-from-arm.{MAIN}"), acct(POOL, "reimbursement-income"), acct(POOL, "option-gain-income")]
    return dict.fromkeys(names, "0")
