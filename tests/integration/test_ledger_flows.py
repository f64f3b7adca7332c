"""The ledger's main flows over real gRPC on both databases: cross-party postings, reversals, listings,
as-of balances and holds. Expected figures are worked out by hand in each test."""

from __future__ import annotations

import datetime as dt

import grpc
import pytest

from ledger import db
from ledger.canonical import GENESIS_HASH
from ledger.model import AccountType, HoldState, PartyKind
from ledger.store import Ledger
from tests.chains import verify_book
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

Stub = ledger_pb2_grpc.LedgerServiceStub


def date(iso: str) -> dict[str, int]:
    d = dt.date.fromisoformat(iso)
    return {"year": d.year, "month": d.month, "day": d.day}


def posting(account: str, side: int, value: str, commodity: str = "CNY") -> pb.Posting:
    return pb.Posting(account=account, side=side, amount=pb.Amount(commodity=commodity, value=value))


def open_account(stub: Stub, party: str, code: str, kind: int, guarded: bool = False, commodity: str = "CNY") -> str:
    response = stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id=f"acct-{party}-{code}",
            party=f"parties/{party}",
            code=code,
            display_name=code,
            type=kind,
            commodity=commodity,
            must_not_go_negative=guarded,
        )
    )
    return str(response.account.name)


@pytest.fixture
def books(stub: Stub) -> dict[str, str]:
    """A bank branch and a risk pool, each with cash, an intercompany account and equity."""
    for party, kind in (("bank-hz", pb.PARTY_KIND_BANK_BRANCH), ("pool", pb.PARTY_KIND_RISK_POOL)):
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"party-{party}", party_id=party, display_name=party, kind=kind)
        )
    return {
        "bank_cash": open_account(stub, "bank-hz", "cash", pb.ACCOUNT_TYPE_ASSET, guarded=True),
        "bank_equity": open_account(stub, "bank-hz", "equity", pb.ACCOUNT_TYPE_EQUITY),
        "bank_due_to_pool": open_account(stub, "bank-hz", "due-to-pool", pb.ACCOUNT_TYPE_LIABILITY),
        "pool_cash": open_account(stub, "pool", "cash", pb.ACCOUNT_TYPE_ASSET, guarded=True),
        "pool_equity": open_account(stub, "pool", "equity", pb.ACCOUNT_TYPE_EQUITY),
        "pool_due_from_bank": open_account(stub, "pool", "due-from-bank", pb.ACCOUNT_TYPE_ASSET),
    }


def test_cross_party_transaction_appends_a_balanced_leg_to_each_book(stub: Stub, books: dict[str, str]) -> None:
    capital = pb.TransactionInput(
        request_id="capital",
        value_date=date("2026-11-02"),
        description="Paid-in capital",
        postings=[
            posting(books["bank_cash"], pb.SIDE_DEBIT, "5000.00"),
            posting(books["bank_equity"], pb.SIDE_CREDIT, "5000.00"),
        ],
    )
    # The bank owes the pool 1,200.00 in compensation it collected: each book balances on its own.
    owed = pb.TransactionInput(
        request_id="owed-to-pool",
        value_date=date("2026-11-03"),
        description="Compensation collected for the pool",
        metadata={"deal": "D-1"},
        postings=[
            posting(books["bank_equity"], pb.SIDE_DEBIT, "1200.00"),
            posting(books["bank_due_to_pool"], pb.SIDE_CREDIT, "1200.00"),
            posting(books["pool_due_from_bank"], pb.SIDE_DEBIT, "1200.00"),
            posting(books["pool_equity"], pb.SIDE_CREDIT, "1200.00"),
        ],
    )
    response = stub.PostTransactions(pb.PostTransactionsRequest(transactions=[capital, owed]))
    first, second = response.transactions
    assert [(leg.party, leg.sequence) for leg in first.legs] == [("parties/bank-hz", 1)]
    assert [(leg.party, leg.sequence) for leg in second.legs] == [("parties/bank-hz", 2), ("parties/pool", 1)]
    assert second.legs[0].hash != second.legs[1].hash
    # Every account the batch touched, with its resulting balance on its normal side.
    balances = {b.account: b.balance.value for b in response.balances}
    assert balances == {
        books["bank_cash"]: "5000.00",
        books["bank_equity"]: "3800.00",  # 5,000.00 credit - 1,200.00 debit
        books["bank_due_to_pool"]: "1200.00",
        books["pool_due_from_bank"]: "1200.00",
        books["pool_equity"]: "1200.00",
    }
    fetched = stub.GetTransaction(pb.GetTransactionRequest(name=second.name)).transaction
    assert fetched == second


def test_reversal_restores_balances_and_is_final(stub: Stub, books: dict[str, str]) -> None:
    posted = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="t1",
                    value_date=date("2026-11-10"),
                    postings=[
                        posting(books["bank_cash"], pb.SIDE_DEBIT, "75.50"),
                        posting(books["bank_equity"], pb.SIDE_CREDIT, "75.50"),
                    ],
                )
            ]
        )
    ).transactions[0]
    reversal = stub.ReverseTransaction(pb.ReverseTransactionRequest(request_id="r1", name=posted.name))
    assert reversal.transaction.reverses == posted.name
    assert [(p.account, p.side) for p in reversal.transaction.postings] == [
        (books["bank_cash"], pb.SIDE_CREDIT),
        (books["bank_equity"], pb.SIDE_DEBIT),
    ]
    assert {b.account: b.balance.value for b in reversal.balances} == {
        books["bank_cash"]: "0.00",
        books["bank_equity"]: "0.00",
    }
    again = stub.ReverseTransaction(pb.ReverseTransactionRequest(request_id="r1", name=posted.name))
    assert again.transaction.name == reversal.transaction.name  # an idempotent retry
    assert (
        stub.GetTransaction(pb.GetTransactionRequest(name=posted.name)).transaction.reversed_by
        == reversal.transaction.name
    )
    with pytest.raises(grpc.RpcError) as refused:
        stub.ReverseTransaction(pb.ReverseTransactionRequest(request_id="r2", name=posted.name))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "already reversed" in str(refused.value.details())


def test_listing_filters_and_pages_in_book_order(stub: Stub, books: dict[str, str]) -> None:
    transactions = [
        pb.TransactionInput(
            request_id=f"t{i}",
            value_date=date(f"2026-10-{i + 1:02d}"),
            metadata={"deal": "D-7" if i % 3 == 0 else "D-8"},
            postings=[
                posting(books["bank_cash"], pb.SIDE_DEBIT, "1.00"),
                posting(books["bank_equity"], pb.SIDE_CREDIT, "1.00"),
            ],
        )
        for i in range(25)
    ]
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=transactions))
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = stub.ListTransactions(
            pb.ListTransactionsRequest(account=books["bank_cash"], page_size=10, page_token=token)
        )
        seen.extend(tx.request_id for tx in page.transactions)
        pages += 1
        token = page.next_page_token
        if not token:
            break
    assert pages == 3 and seen == [f"t{i}" for i in range(25)]
    by_deal = stub.ListTransactions(
        pb.ListTransactionsRequest(party="parties/bank-hz", metadata_key="deal", metadata_value="D-7")
    )
    assert [tx.request_id for tx in by_deal.transactions] == ["t0", "t3", "t6", "t9", "t12", "t15", "t18", "t21", "t24"]
    window = stub.ListTransactions(
        pb.ListTransactionsRequest(value_date_from=date("2026-10-05"), value_date_to=date("2026-10-07"))
    )
    assert sorted(tx.request_id for tx in window.transactions) == ["t4", "t5", "t6"]
    assert stub.ListTransactions(pb.ListTransactionsRequest(party="parties/pool")).transactions == []


def test_as_of_balances_follow_value_dates_not_posting_order(stub: Stub, books: dict[str, str]) -> None:
    def move(request_id: str, value_date: str, value: str) -> pb.TransactionInput:
        return pb.TransactionInput(
            request_id=request_id,
            value_date=date(value_date),
            postings=[
                posting(books["bank_cash"], pb.SIDE_DEBIT, value),
                posting(books["bank_equity"], pb.SIDE_CREDIT, value),
            ],
        )

    stub.PostTransactions(
        pb.PostTransactionsRequest(transactions=[move("a", "2026-03-31", "100.00"), move("b", "2026-06-30", "20.00")])
    )
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=[move("c", "2026-01-15", "3.00")]))  # back-dated

    def as_of(iso: str) -> str:
        return str(
            stub.GetBalance(
                pb.GetBalanceRequest(account=books["bank_cash"], as_of_date=date(iso))
            ).balance.balance.value
        )

    assert as_of("2025-12-31") == "0.00"  # before the first posting: zero, not an error
    assert as_of("2026-01-15") == "3.00"
    assert as_of("2026-03-30") == "3.00"
    assert as_of("2026-03-31") == "103.00"
    assert as_of("2026-12-31") == "123.00"
    current = stub.GetBalance(pb.GetBalanceRequest(account=books["bank_cash"])).balance
    assert current.balance.value == "123.00" and not current.HasField("as_of_date")
    untouched = stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=[books["pool_cash"], books["bank_cash"]]))
    assert [b.balance.value for b in untouched.balances] == ["0.00", "123.00"]


def test_hold_reserves_funds_then_capture_posts_part_and_releases_the_rest(stub: Stub, books: dict[str, str]) -> None:
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="fund",
                    value_date=date("2026-11-01"),
                    postings=[
                        posting(books["bank_cash"], pb.SIDE_DEBIT, "100.00"),
                        posting(books["bank_equity"], pb.SIDE_CREDIT, "100.00"),
                    ],
                )
            ]
        )
    )
    # Money leaves cash (credit) into the intercompany liability... here: pay out to equity holders.
    hold = stub.CreateHold(
        pb.CreateHoldRequest(
            request_id="h1",
            debit_account=books["bank_equity"],
            credit_account=books["bank_cash"],
            amount=pb.Amount(commodity="CNY", value="60.00"),
            description="dividend",
        )
    ).hold
    assert hold.state == pb.HOLD_STATE_PENDING
    cash = stub.GetBalance(pb.GetBalanceRequest(account=books["bank_cash"])).balance
    assert (cash.balance.value, cash.held.value, cash.available.value) == ("100.00", "60.00", "40.00")

    # The held 60.00 counts against must-not-go-negative: a 50.00 payment now fails, 40.00 passes.
    def pay(request_id: str, value: str) -> pb.PostTransactionsRequest:
        return pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id=request_id,
                    value_date=date("2026-11-02"),
                    postings=[
                        posting(books["bank_equity"], pb.SIDE_DEBIT, value),
                        posting(books["bank_cash"], pb.SIDE_CREDIT, value),
                    ],
                )
            ]
        )

    with pytest.raises(grpc.RpcError) as refused:
        stub.PostTransactions(pay("too-much", "50.00"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    stub.PostTransactions(pay("ok", "40.00"))
    captured = stub.CaptureHold(
        pb.CaptureHoldRequest(request_id="cap", name=hold.name, amount=pb.Amount(value="45.00"))
    )
    assert captured.hold.state == pb.HOLD_STATE_CAPTURED and captured.hold.captured.value == "45.00"
    assert captured.transaction.metadata["toudai.hold"] == hold.name.split("/")[1]
    cash = stub.GetBalance(pb.GetBalanceRequest(account=books["bank_cash"])).balance
    assert (cash.balance.value, cash.held.value, cash.available.value) == ("15.00", "0.00", "15.00")  # 100 - 40 - 45
    retry = stub.CaptureHold(pb.CaptureHoldRequest(request_id="cap", name=hold.name, amount=pb.Amount(value="45.00")))
    assert retry.transaction.name == captured.transaction.name
    with pytest.raises(grpc.RpcError) as twice:
        stub.VoidHold(pb.VoidHoldRequest(request_id="void", name=hold.name))
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "captured" in str(twice.value.details())


def test_holds_expire_and_release_their_amount(database_url: str) -> None:
    now = [dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)]
    engines = db.create_engines(database_url)
    try:
        ledger = Ledger(engines, clock=lambda: now[0])
        ledger.create_party(request_id="p", party_id="bank", display_name="Bank", kind=PartyKind.BANK_BRANCH)
        cash = ledger.create_account(
            request_id="c",
            party="parties/bank",
            code="cash",
            display_name="Cash",
            type=AccountType.ASSET,
            commodity="CNY",
            must_not_go_negative=True,
        )
        equity = ledger.create_account(
            request_id="e",
            party="parties/bank",
            code="equity",
            display_name="Equity",
            type=AccountType.EQUITY,
            commodity="CNY",
            must_not_go_negative=False,
        )
        from ledger.model import PostingSpec, Side, TransactionSpec

        ledger.post_transactions(
            [
                TransactionSpec(
                    "fund",
                    dt.date(2026, 11, 26),
                    "",
                    {},
                    (
                        PostingSpec(cash.name, Side.DEBIT, "CNY", "10.00"),
                        PostingSpec(equity.name, Side.CREDIT, "CNY", "10.00"),
                    ),
                )
            ]
        )
        first = ledger.create_hold(
            request_id="h1",
            debit_account=equity.name,
            credit_account=cash.name,
            commodity="CNY",
            value="7.00",
            expire_time=now[0] + dt.timedelta(hours=1),
        )
        second = ledger.create_hold(
            request_id="h2",
            debit_account=equity.name,
            credit_account=cash.name,
            commodity="CNY",
            value="3.00",
            expire_time=now[0] + dt.timedelta(hours=2),
        )
        assert ledger.get_balance(cash.name).available == 0
        now[0] += dt.timedelta(minutes=90)
        assert ledger.expire_holds() == 1
        assert ledger.get_hold(first.name).state is HoldState.EXPIRED
        assert ledger.get_balance(cash.name).available == 700
        now[0] += dt.timedelta(hours=1)
        from ledger.errors import FailedPrecondition

        with pytest.raises(FailedPrecondition) as expired:
            ledger.capture_hold(request_id="cap2", name=second.name)
        assert expired.value.reason == "HOLD_EXPIRED"
        # The refusal still released the hold, durably.
        assert ledger.get_hold(second.name).state is HoldState.EXPIRED
        assert ledger.get_balance(cash.name).available == 1000
        assert verify_book(ledger, "bank").ok
    finally:
        engines.dispose()


def test_new_book_starts_at_genesis(stub: Stub, books: dict[str, str], ledger: Ledger) -> None:
    heads = dict((p, (s, h)) for p, s, h in ledger.book_heads())
    assert heads == {"bank-hz": (0, GENESIS_HASH), "pool": (0, GENESIS_HASH)}
