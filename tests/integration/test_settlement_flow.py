"""The exercise workflow and the proceeds split over real gRPC, on SQLite and PostgreSQL (issue 6).

The world of every test (worked out by hand; amounts CNY):
  parties bank-hz (branch), invest-arm (investment arm), pool-zj (risk pool);
  the arm holds 5,000,000.00 of cash (from its capital); the pool is funded with 1,000,000.00;
  a first loan hz-first of 1,000,000.00 to the same borrower is disbursed and defaults on its start date:
    loss 1,000,000.00 (no interest accrued), base rate 50% = 500,000.00, capped at 200,000.00: the pool
    pays exactly 200,000.00 (pool cash 800,000.00; bank clearing −1,000,000.00 + 200,000.00 = −800,000.00,
    loans.hz-first 800,000.00); its right is 1,000,000.00 × 10% ÷ 10.00 = 10,000 units;
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
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2, money_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
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


def deal_terms(principal: str, start: str, maturity: str, option: dpb.OptionTerms, cap: str) -> dpb.DealTerms:
    return dpb.DealTerms(
        branch=f"parties/{BANK}",
        borrower=dpb.Borrower(name=COMPANY, uscc=USCC, stage=dpb.BORROWER_STAGE_GROWTH),
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

    def __init__(self, channel: grpc.Channel, stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger) -> None:
        self.ledger = ledger
        self.stub = stub
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
        first = deal_terms("1000000.00", "2026-01-15", "2027-01-15", option_terms(start="2026-01-15"), "200000.00")
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
                acct(BANK, f"loans.{FIRST}"): "800000.00",
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


# ---------------------------------------------------------------------- the worked example


def test_worked_example_cash_exercise_and_sale(world: World, ledger: Ledger) -> None:
    books = world.books
    # 1. The arm requests: 100,000 units, cash and sale into the 25.00 round. Holds: the units and the
    #    strike 100,000 × 10.00 = 1,000,000.00 of the arm's cash. Nothing is posted.
    message = world.request_message(100_000, request_id="ex-1")
    x = world.settlement.RequestExercise(message, metadata=ALICE).exercise
    assert world.settlement.RequestExercise(message, metadata=ALICE).exercise == x  # a retry: same answer
    assert (x.state, x.requested_by, x.quantity, x.method) == (
        spb.EXERCISE_STATE_REQUESTED,
        "arm-alice",
        100_000,
        CASH_AND_SALE,
    )
    assert x.deal == f"deals/{MAIN}" and x.funding_round == world.round
    assert (Decimal(x.price_per_share), Decimal(x.strike_per_share)) == D("25.00", "10.00")
    assert not x.HasField("split")
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000", acct(ARM, "cash"): "1000000.00"})
    books.check()  # the retry placed no second hold
    # Same request_id, other payload: refused, nothing changes.
    _, reason, _ = refused(
        ledger,
        lambda: world.settlement.RequestExercise(world.request_message(99_999, request_id="ex-1"), metadata=ALICE),
        grpc.StatusCode.ALREADY_EXISTS,
    )
    assert reason == "REQUEST_ID_REUSED"

    # 2. Preview: proceeds 2,500,000.00, strike 1,000,000.00, gain 1,500,000.00, split as domain.md. Posts nothing.
    with unchanged(ledger):
        preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    assert (yuan(preview.proceeds), yuan(preview.strike_paid), yuan(preview.gain)) == D(
        "2500000.00", "1000000.00", "1500000.00"
    )
    assert split_of(preview.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")

    # 3. Four eyes: the requester cannot approve her own request.
    message_text, reason, _ = refused(ledger, lambda: world.approve(x.name, who=ALICE))
    assert reason == "FOUR_EYES" and "arm-alice" in message_text
    approved = world.approve(x.name, reason="round verified")
    assert (approved.state, approved.decided_by) == (spb.EXERCISE_STATE_APPROVED, "bank-bob")
    books.check()  # approval posts nothing

    # 4. Settle: every party's books as worked out by hand.
    settled = world.settle(x.name, request_id="settle-1")
    assert settled.state == spb.EXERCISE_STATE_SETTLED
    assert split_of(settled.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")
    books.update(
        {
            # arm: 5,000,000.00 − 1,000,000.00 strike + 2,500,000.00 sale − 390,000.00 − 460,000.00 paid on
            acct(ARM, "cash"): "5650000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "650000.00",
            # bank: −800,000.00 + 390,000.00 received
            acct(BANK, "clearing"): "-410000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            # pool: 800,000.00 + 200,000.00 reimbursement + 260,000.00 share
            acct(POOL, "cash"): "1260000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()
    # History: who, when, why; the settle step names the transactions it posted.
    steps = [(s.from_state, s.to_state, s.principal, s.reason) for s in settled.steps]
    assert steps == [
        (spb.EXERCISE_STATE_UNSPECIFIED, spb.EXERCISE_STATE_REQUESTED, "arm-alice", ""),
        (spb.EXERCISE_STATE_REQUESTED, spb.EXERCISE_STATE_APPROVED, "bank-bob", "round verified"),
        (spb.EXERCISE_STATE_APPROVED, spb.EXERCISE_STATE_SETTLED, "bank-bob", ""),
    ]
    # units hold, strike hold, sale and split, payments to bank and pool
    assert len(settled.steps[2].transactions) == 4
    assert all(s.create_time.seconds > 0 for s in settled.steps)
    assert world.get(x.name) == settled

    # 5. Double settle: the same request_id replays; a new one is refused naming the state; nothing posts.
    with unchanged(ledger):
        assert world.settle(x.name, request_id="settle-1") == settled
    message_text, reason, metadata = refused(ledger, lambda: world.settle(x.name))
    assert "is settled" in message_text and reason == "ILLEGAL_EXERCISE_TRANSITION" and metadata["state"] == "settled"
    # Nothing is left to exercise.
    message_text, reason, _ = refused(ledger, lambda: world.request(1))
    assert reason == "INSUFFICIENT_FUNDS"
    books.check()

    # Listing.
    listed = world.settlement.ListExercises(spb.ListExercisesRequest(deal=f"deals/{MAIN}")).exercises
    assert [e.name for e in listed] == [x.name]
    assert not world.settlement.ListExercises(spb.ListExercisesRequest(state=spb.EXERCISE_STATE_REQUESTED)).exercises


def test_partial_exercises_reimburse_the_pool_once(world: World, ledger: Ledger) -> None:
    books = world.books
    first = world.request(40_000)
    second = world.request(60_000)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000", acct(ARM, "cash"): "1000000.00"})
    books.check()
    _, reason, _ = refused(ledger, lambda: world.request(1))  # all 100,000 units are reserved
    assert reason == "INSUFFICIENT_FUNDS"

    # First: 40,000 × (25 − 10) = 600,000.00; pool 200,000.00 first; 400,000.00 → 120,000 / 200,000 / 80,000.
    world.approve(first.name)
    done = world.settle(first.name)
    assert split_of(done.split) == D("600000.00", "200000.00", "0.00", "120000.00", "200000.00", "80000.00")
    books.update(
        {
            # 5,000,000.00 − 400,000.00 + 1,000,000.00 − 120,000.00 − 280,000.00
            acct(ARM, "cash"): "5200000.00",
            acct(ARM, f"options.{MAIN}"): "60000",
            acct(ARM, f"options-exercised.{MAIN}"): "40000",
            acct(ARM, "option-gains"): "200000.00",
            acct(BANK, "clearing"): "-680000.00",
            acct(BANK, "option-gain-income"): "120000.00",
            acct(POOL, "cash"): "1080000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "80000.00",
        },
        {acct(ARM, f"options.{MAIN}"): "60000", acct(ARM, "cash"): "600000.00"},
    )
    books.check()

    # Second: 60,000 × 15 = 900,000.00; nothing left to reimburse → 270,000 / 450,000 / 180,000.
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=second.name))
    assert split_of(preview.split) == D("900000.00", "0.00", "0.00", "270000.00", "450000.00", "180000.00")
    world.approve(second.name)
    done = world.settle(second.name)
    assert split_of(done.split) == D("900000.00", "0.00", "0.00", "270000.00", "450000.00", "180000.00")
    # The totals are the worked example's: bank 390,000.00, arm 650,000.00, pool 260,000.00 + 200,000.00.
    books.update(
        {
            acct(ARM, "cash"): "5650000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "650000.00",
            acct(BANK, "clearing"): "-410000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            acct(POOL, "cash"): "1260000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()
    _, reason, _ = refused(ledger, lambda: world.request(1))  # nothing left
    assert reason == "INSUFFICIENT_FUNDS"


def test_net_exercise_then_exits_pay_the_bank_and_the_pool(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, NET)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000"})  # no strike to reserve
    books.check()
    preview = world.settlement.PreviewExercise(spb.PreviewExerciseRequest(name=x.name))
    # 100,000 × (25 − 10) / 25 = 60,000 shares exactly, no fraction; worth 60,000 × 25 = 1,500,000.00.
    assert (preview.shares_received, yuan(preview.fraction_cash), yuan(preview.gain)) == (
        60_000,
        Decimal(0),
        Decimal("1500000.00"),
    )
    world.approve(x.name)
    settled = world.settle(x.name)
    assert settled.shares_received == 60_000
    assert split_of(settled.split) == D("1500000.00", "200000.00", "0.00", "390000.00", "650000.00", "260000.00")
    # The shares are kept; the bank's and the pool's shares are owed to them at fair value; no cash moves.
    books.update(
        {
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, f"shares.{MAIN}"): "60000",
            acct(ARM, f"shares-acquired.{MAIN}"): "60000",
            acct(ARM, f"shares-at-cost.{MAIN}"): "1500000.00",
            acct(ARM, "option-gains"): "650000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "390000.00",
            acct(ARM, f"due-to-pool.{MAIN}"): "460000.00",
            acct(BANK, f"due-from-arm.{MAIN}"): "390000.00",
            acct(BANK, "option-gain-income"): "390000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "460000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "260000.00",
        },
        {},
    )
    books.check()

    # Exit 1: 20,000 shares at 30.00 = 600,000.00 against a cost of 1,500,000.00 × 20,000 / 60,000 = 500,000.00
    # (exit gain 100,000.00); a third of what is owed is paid: bank 130,000.00, pool 460,000.00 / 3 = 153,333.33.
    exit_1 = spb.RecordExitRequest(
        request_id="exit-1", name=x.name, shares=20_000, price_per_share="30.00", value_date=date("2026-07-01")
    )
    after = world.settlement.RecordExit(exit_1, metadata=ALICE).exercise
    with unchanged(ledger):
        assert world.settlement.RecordExit(exit_1, metadata=ALICE).exercise == after
    books.update(
        {
            acct(ARM, "cash"): "5316666.67",  # 5,000,000.00 + 600,000.00 − 130,000.00 − 153,333.33
            acct(ARM, f"shares.{MAIN}"): "40000",
            acct(ARM, f"shares-acquired.{MAIN}"): "40000",
            acct(ARM, f"shares-at-cost.{MAIN}"): "1000000.00",
            acct(ARM, "exit-gains"): "100000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "260000.00",
            acct(ARM, f"due-to-pool.{MAIN}"): "306666.67",
            acct(BANK, f"due-from-arm.{MAIN}"): "260000.00",
            acct(BANK, "clearing"): "-670000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "306666.67",
            acct(POOL, "cash"): "953333.33",
        }
    )
    books.check()
    # Exit 2, the rest: 40,000 at 24.00 = 960,000.00 against 1,000,000.00 (exit loss 40,000.00); all that is
    # still owed is paid.
    exit_2 = spb.RecordExitRequest(
        request_id="exit-2", name=x.name, shares=40_000, price_per_share="24.00", value_date=date("2026-08-03")
    )
    world.settlement.RecordExit(exit_2, metadata=ALICE)
    books.update(
        {
            acct(ARM, "cash"): "5710000.00",  # 5,316,666.67 + 960,000.00 − 260,000.00 − 306,666.67
            acct(ARM, f"shares.{MAIN}"): "0",
            acct(ARM, f"shares-acquired.{MAIN}"): "0",
            acct(ARM, f"shares-at-cost.{MAIN}"): "0",
            acct(ARM, "exit-gains"): "60000.00",
            acct(ARM, f"due-to-bank.{MAIN}"): "0",
            acct(ARM, f"due-to-pool.{MAIN}"): "0",
            acct(BANK, f"due-from-arm.{MAIN}"): "0",
            acct(BANK, "clearing"): "-410000.00",
            acct(POOL, f"due-from-arm.{MAIN}"): "0",
            acct(POOL, "cash"): "1260000.00",
        }
    )
    books.check()
    exit_3 = spb.RecordExitRequest(
        request_id="exit-3", name=x.name, shares=1, price_per_share="24.00", value_date=date("2026-08-03")
    )
    _, reason, _ = refused(ledger, lambda: world.settlement.RecordExit(exit_3, metadata=ALICE))
    assert reason == "NOT_ENOUGH_SHARES"


def test_transfer_of_the_right_splits_the_agreed_price_less_fees(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, TRANSFER, transfer_price=cny("1200000.00"), fees=cny("50000.00"))
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "100000"})
    books.check()
    world.approve(x.name)
    settled = world.settle(x.name)
    # 1,200,000.00 − 50,000.00 = 1,150,000.00; pool 200,000.00 first; 950,000.00 → 285,000 / 475,000 / 190,000.
    assert split_of(settled.split) == D("1150000.00", "200000.00", "0.00", "285000.00", "475000.00", "190000.00")
    books.update(
        {
            acct(ARM, "cash"): "5475000.00",  # 5,000,000.00 + 1,150,000.00 − 285,000.00 − 390,000.00
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "475000.00",
            acct(BANK, "clearing"): "-515000.00",
            acct(BANK, "option-gain-income"): "285000.00",
            acct(POOL, "cash"): "1190000.00",
            acct(POOL, "reimbursement-income"): "200000.00",
            acct(POOL, "option-gain-income"): "190000.00",
        },
        {},
    )
    books.check()


def test_a_sale_below_the_strike_is_the_arms_loss_alone(world: World, ledger: Ledger) -> None:
    books = world.books
    x = world.request(100_000, trigger=spb.TRIGGER_EVENT_IPO, funding_round="", price_per_share="8.00")
    world.approve(x.name)
    settled = world.settle(x.name)
    # Sold for 800,000.00 after paying 1,000,000.00: a loss of 200,000.00; nobody else gets or owes anything.
    assert split_of(settled.split) == D("0", "0", "0", "0", "0", "0")
    books.update(exercise_accounts())
    books.update(
        {
            acct(ARM, "cash"): "4800000.00",
            acct(ARM, f"options.{MAIN}"): "0",
            acct(ARM, f"options-exercised.{MAIN}"): "100000",
            acct(ARM, "option-gains"): "-200000.00",
        },
        {},
    )
    books.check()


# ---------------------------------------------------------------------- refusals and transitions


def test_refusals_change_nothing(world: World, ledger: Ledger) -> None:
    s = world.settlement
    # Outside the window (it opens 2026-02-01).
    _, reason, _ = refused(
        ledger,
        lambda: world.request(
            1_000, value_date="2026-01-20", trigger=spb.TRIGGER_EVENT_IPO, funding_round="", price_per_share="25.00"
        ),
    )
    assert reason == "OUTSIDE_EXERCISE_WINDOW"
    # A trigger the terms do not allow (qualifying round and IPO only).
    _, reason, _ = refused(
        ledger,
        lambda: world.request(1_000, trigger=spb.TRIGGER_EVENT_MERGER, funding_round="", price_per_share="30.00"),
    )
    assert reason == "TRIGGER_NOT_IN_TERMS"
    # A round below the qualifying size: 2,000,000 × 20.00 = 40,000,000.00 < 50,000,000.00.
    small = world.record_round("20.00", "2026-05-01")
    _, reason, _ = refused(ledger, lambda: world.request(1_000, funding_round=small))
    assert reason == "TRIGGER_NOT_MET"
    # A written-off deal.
    world.deals.WriteOff(
        dpb.WriteOffRequest(request_id="write-off", name=f"deals/{FIRST}", value_date=date("2026-03-01"))
    )
    message_text, reason, _ = refused(ledger, lambda: world.request(1_000, deal=FIRST))
    assert reason == "DEAL_WRITTEN_OFF" and f"deals/{FIRST}" in message_text

    x = world.request(10_000)
    # Settle before approval, cancel or reject by the wrong people, exit of a non-net exercise.
    message_text, reason, metadata = refused(ledger, lambda: world.settle(x.name))
    assert "is requested" in message_text and metadata["state"] == "requested"
    cancel_by_carol = spb.CancelExerciseRequest(request_id="cancel-c", name=x.name, reason="mine now")
    _, reason, _ = refused(ledger, lambda: s.CancelExercise(cancel_by_carol, metadata=CAROL))
    assert reason == "NOT_REQUESTER"
    _, reason, _ = refused(ledger, lambda: world.approve(x.name, who=ALICE))
    assert reason == "FOUR_EYES"

    world.approve(x.name)
    for call in (
        lambda: world.approve(x.name),
        lambda: s.RejectExercise(spb.RejectExerciseRequest(request_id="reject-late", name=x.name), metadata=BOB),
        lambda: s.CancelExercise(spb.CancelExerciseRequest(request_id="cancel-late", name=x.name), metadata=ALICE),
    ):
        message_text, reason, metadata = refused(ledger, call)
        assert (
            "is approved" in message_text
            and reason == "ILLEGAL_EXERCISE_TRANSITION"
            and metadata["state"] == "approved"
        )
    world.settle(x.name)
    exit_cash = spb.RecordExitRequest(
        request_id="exit-cash", name=x.name, shares=1, price_per_share="25.00", value_date=date("2026-07-01")
    )
    _, reason, _ = refused(ledger, lambda: s.RecordExit(exit_cash, metadata=ALICE))
    assert reason == "NOT_NET"

    # Reject releases the holds; a rejected exercise cannot be approved.
    y = world.request(5_000)
    rejected = s.RejectExercise(
        spb.RejectExerciseRequest(request_id="reject-y", name=y.name, reason="price stale"), metadata=BOB
    ).exercise
    assert (rejected.state, rejected.decided_by, rejected.steps[-1].reason) == (
        spb.EXERCISE_STATE_REJECTED,
        "bank-bob",
        "price stale",
    )
    message_text, _, metadata = refused(ledger, lambda: world.approve(y.name))
    assert "is rejected" in message_text and metadata["state"] == "rejected"
    # Cancel by the requester releases the holds too; then it cannot be settled.
    z = world.request(5_000)
    cancelled = s.CancelExercise(spb.CancelExerciseRequest(request_id="cancel-z", name=z.name), metadata=ALICE).exercise
    assert cancelled.state == spb.EXERCISE_STATE_CANCELLED
    message_text, _, _ = refused(ledger, lambda: world.settle(z.name))
    assert "is cancelled" in message_text
    # Only x posted: 10,000 × 15 = 150,000.00, all of it to the pool's 200,000.00 reimbursement.
    balances, held, _ = world.books.found()
    assert not {k: v for k, v in held.items() if v}
    assert balances[acct(ARM, f"options.{MAIN}")] == 90_000
    assert balances[acct(POOL, "reimbursement-income")] == Decimal("150000.00")
    assert balances[acct(BANK, "option-gain-income")] == 0
    # Unknown exercise and bad names.
    refused(ledger, lambda: world.approve("exercises/00000000-0000-4000-8000-000000000000"), grpc.StatusCode.NOT_FOUND)
    refused(ledger, lambda: world.approve("exercise/x"), grpc.StatusCode.INVALID_ARGUMENT)
    refused(ledger, lambda: world.request(0), grpc.StatusCode.INVALID_ARGUMENT)


def _soon(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds))
    return stamp


def test_expired_requests_release_their_holds_on_approve_or_settle(world: World, ledger: Ledger) -> None:
    books = world.books
    a = world.request(30_000, expire_time=_soon(1.5))
    b = world.request(20_000, expire_time=_soon(1.5))
    world.approve(b.name)
    books.update(exercise_accounts(), {acct(ARM, f"options.{MAIN}"): "50000", acct(ARM, "cash"): "500000.00"})
    books.check()
    time.sleep(2.0)
    calls: list[tuple[str, Callable[[], Any]]] = [
        (a.name, lambda: world.approve(a.name)),
        (b.name, lambda: world.settle(b.name)),
    ]
    for name, call in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call()
        error: Any = caught.value
        assert error.code() == FAILED and "expired" in (error.details() or "")
        assert _info(error)[0] == "EXERCISE_EXPIRED"
        found = world.get(name)
        assert found.state == spb.EXERCISE_STATE_EXPIRED
        assert found.steps[-1].to_state == spb.EXERCISE_STATE_EXPIRED
    books.update({}, {})  # every hold released, nothing posted
    books.check()
    # The units are free again: the whole right can be requested.
    assert world.request(100_000).state == spb.EXERCISE_STATE_REQUESTED


def test_expire_options_lapses_a_right_whose_window_ended(world: World, ledger: Ledger) -> None:
    books = world.books
    short = deal_terms("2000000.00", "2026-02-01", "2027-02-01", option_terms(end="2026-06-30"), "3000000.00")
    world.deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-short", deal_id="hz-short", terms=short))
    pending = world.request(5_000, deal="hz-short")  # 2,000,000.00 × 10% ÷ 10.00 = 20,000 units
    books.update(
        {acct(ARM, "options.hz-short"): "20000", acct(ARM, "options-granted.hz-short"): "20000"},
        {acct(ARM, "options.hz-short"): "5000", acct(ARM, "cash"): "50000.00"},
    )
    # The window of hz-short ended on 2026-06-30; the others run to 2033.
    as_of = spb.ExpireOptionsRequest(request_id="lapse-1", as_of=date("2026-07-01"))
    lapsed = world.settlement.ExpireOptions(as_of, metadata=BOB).lapsed
    assert [(item.deal, item.units, yuan(item.fair_value_reversed)) for item in lapsed] == [
        ("deals/hz-short", 20_000, Decimal(0))
    ]
    assert world.get(pending.name).state == spb.EXERCISE_STATE_EXPIRED
    books.update({acct(ARM, "options.hz-short"): "0", acct(ARM, "options-granted.hz-short"): "0"}, {})
    books.check()
    # Again (new request id): nothing more lapses, nothing posts (only the request is recorded).
    with unchanged(ledger, ignore=LAPSE_LOG):
        again = world.settlement.ExpireOptions(
            spb.ExpireOptionsRequest(request_id="lapse-2", as_of=date("2026-07-01")), metadata=BOB
        )
    assert list(again.lapsed) == []
    # A request on the lapsed right is refused: outside the window.
    _, reason, _ = refused(ledger, lambda: world.request(1, deal="hz-short", value_date="2026-07-01"))
    assert reason == "OUTSIDE_EXERCISE_WINDOW"


def test_a_retried_expire_options_returns_the_first_answer(world: World, ledger: Ledger) -> None:
    """ExpireOptions is idempotent by request_id like every mutation: a retry (even one racing the first
    call) answers what the first call lapsed, posts nothing more; another payload under the id is refused."""
    books = world.books
    short = deal_terms("2000000.00", "2026-02-01", "2027-02-01", option_terms(end="2026-06-30"), "3000000.00")
    world.deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-short", deal_id="hz-short", terms=short))
    pending = world.request(5_000, deal="hz-short")
    books.update(
        {acct(ARM, "options.hz-short"): "20000", acct(ARM, "options-granted.hz-short"): "20000"},
        {acct(ARM, "options.hz-short"): "5000", acct(ARM, "cash"): "50000.00"},
    )
    request = spb.ExpireOptionsRequest(request_id="lapse-retried", as_of=date("2026-07-01"))
    expected = [("deals/hz-short", 20_000, Decimal(0))]

    def lapsed(response: spb.ExpireOptionsResponse) -> list[tuple[str, int, Decimal]]:
        return [(item.deal, item.units, yuan(item.fair_value_reversed)) for item in response.lapsed]

    # The first call and its retries race (a client retrying after a lost answer): each gets the answer.
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: world.settlement.ExpireOptions(request, metadata=BOB), range(3)))
    assert [lapsed(a) for a in answers] == [expected] * 3
    assert world.get(pending.name).state == spb.EXERCISE_STATE_EXPIRED
    books.update({acct(ARM, "options.hz-short"): "0", acct(ARM, "options-granted.hz-short"): "0"}, {})
    books.check()
    # A later retry: the same answer, nothing posted or changed.
    with unchanged(ledger):
        again = world.settlement.ExpireOptions(request, metadata=BOB)
    assert again == answers[0]
    # The same request id with another as_of is refused and changes nothing.
    other = spb.ExpireOptionsRequest(request_id="lapse-retried", as_of=date("2026-07-02"))
    _, reason, metadata = refused(
        ledger, lambda: world.settlement.ExpireOptions(other, metadata=BOB), grpc.StatusCode.ALREADY_EXISTS
    )
    assert reason == "REQUEST_ID_REUSED" and metadata["request_id"] == "lapse-retried"
    # A new request id lapses nothing more; its own retry keeps answering its (empty) list, and the first
    # request id still answers the original list.
    later = spb.ExpireOptionsRequest(request_id="lapse-later", as_of=date("2026-07-02"))
    with unchanged(ledger, ignore=LAPSE_LOG):
        assert lapsed(world.settlement.ExpireOptions(later, metadata=BOB)) == []
    with unchanged(ledger):
        assert lapsed(world.settlement.ExpireOptions(later, metadata=BOB)) == []
        assert lapsed(world.settlement.ExpireOptions(request, metadata=BOB)) == expected
    books.check()
