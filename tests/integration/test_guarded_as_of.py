"""Must-not-go-negative as of every date: a guarded account's balance may not be negative as of a posting's
value date or any later date, over real gRPC on SQLite and PostgreSQL (docs/accounting.md,
"Must-not-go-negative and holds").

The ledger's clock is fixed at 2026-12-05 10:00 in Asia/Shanghai (02:00 UTC), so "today" is 2026-12-05
and value dates up to 2027-12-06 are allowed. Each scenario's figures are worked out by hand in its
comments: the as-of balance on a date D is the sum of the postings dated on or before D; from today on,
what is held on the account counts against it too.

Every refused call is checked to leave the database exactly as it was (every table, including the
per-day totals that as-of balances are read from) and the balances, current and as of the dates
concerned, as they read before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ledger import db
from ledger.store import Ledger
from tests.integration.dbstate import assert_unchanged, snapshot
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

Stub = ledger_pb2_grpc.LedgerServiceStub

NOW = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)  # 2026-12-05 10:00 in Asia/Shanghai: today is 2026-12-05
PARTY = "p"
CASH = f"parties/{PARTY}/accounts/cash"  # asset, must not go negative
RESERVE = f"parties/{PARTY}/accounts/reserve"  # asset, must not go negative
CAPITAL = f"parties/{PARTY}/accounts/capital"  # equity: where the money comes from
PAYOUTS = f"parties/{PARTY}/accounts/payouts"  # expense: where it goes


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    """The ledger the server of tests/conftest.py serves, on a fixed clock."""
    engines = db.create_engines(database_url)
    try:
        yield Ledger(engines, clock=lambda: NOW)
    finally:
        engines.dispose()


@pytest.fixture
def book(stub: Stub) -> Stub:
    stub.CreateParty(
        pb.CreatePartyRequest(request_id="party-p", party_id=PARTY, display_name="Pool", kind=pb.PARTY_KIND_RISK_POOL)
    )
    for code, kind, guarded in (
        ("cash", pb.ACCOUNT_TYPE_ASSET, True),
        ("reserve", pb.ACCOUNT_TYPE_ASSET, True),
        ("capital", pb.ACCOUNT_TYPE_EQUITY, False),
        ("payouts", pb.ACCOUNT_TYPE_EXPENSE, False),
    ):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"acct-{code}",
                party=f"parties/{PARTY}",
                code=code,
                display_name=code,
                type=kind,
                commodity="CNY",
                must_not_go_negative=guarded,
            )
        )
    return stub


def date(iso: str) -> Any:
    d = dt.date.fromisoformat(iso)
    return {"year": d.year, "month": d.month, "day": d.day}


def transfer(request_id: str, iso: str, debit: str, credit: str, value: str) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date=date(iso),
        postings=[
            pb.Posting(account=debit, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=value)),
            pb.Posting(account=credit, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=value)),
        ],
    )


def deposit(request_id: str, iso: str, value: str, account: str = CASH) -> pb.TransactionInput:
    return transfer(request_id, iso, account, CAPITAL, value)


def payout(request_id: str, iso: str, value: str, account: str = CASH) -> pb.TransactionInput:
    return transfer(request_id, iso, PAYOUTS, account, value)


def post(stub: Stub, *transactions: pb.TransactionInput) -> pb.PostTransactionsResponse:
    return stub.PostTransactions(pb.PostTransactionsRequest(transactions=transactions))


def balance(stub: Stub, account: str, iso: str | None = None) -> str:
    request = (
        pb.GetBalanceRequest(account=account, as_of_date=date(iso)) if iso else pb.GetBalanceRequest(account=account)
    )
    return str(stub.GetBalance(request).balance.balance.value)


def balances(stub: Stub, account: str, dates: list[str]) -> dict[str, str]:
    """The current balance (key "now") and the balance as of each date."""
    return {"now": balance(stub, account), **{d: balance(stub, account, d) for d in dates}}


def refused(
    stub: Stub, ledger: Ledger, call: Callable[[Any], Any], request: Any, watch: list[str]
) -> tuple[str, error_details_pb2.ErrorInfo, list[error_details_pb2.PreconditionFailure.Violation]]:
    """Send `request`, expect FAILED_PRECONDITION with its details, and nothing changed: every row of
    every table, and CASH's and RESERVE's balances now and as of each date of `watch`."""
    before = snapshot(ledger.engines.writer)
    read_before = {a: balances(stub, a, watch) for a in (CASH, RESERVE)}
    with pytest.raises(grpc.RpcError) as caught:
        call(request)
    error: Any = caught.value
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
    assert_unchanged(before, snapshot(ledger.engines.writer))
    assert {a: balances(stub, a, watch) for a in (CASH, RESERVE)} == read_before
    status = rpc_status.from_call(error)
    assert status is not None
    infos, violations = [], []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            violations.extend(failure.violations)
    assert len(infos) == 1
    assert infos[0].reason == "INSUFFICIENT_FUNDS"
    return str(error.details()), infos[0], violations


def refused_post(
    stub: Stub, ledger: Ledger, *transactions: pb.TransactionInput, watch: list[str]
) -> tuple[str, error_details_pb2.ErrorInfo, list[error_details_pb2.PreconditionFailure.Violation]]:
    return refused(stub, ledger, stub.PostTransactions, pb.PostTransactionsRequest(transactions=transactions), watch)


# ------------------------------------------------------------------------------------------ back-dated


def test_a_back_dated_transfer_before_the_funding_is_refused(book: Stub, ledger: Ledger) -> None:
    # Cash holds 1,000.00 from a deposit dated 2026-06-01. A payout of 100.00 dated 2026-01-02 would leave
    # the current balance at 900.00 (which is all the old check looked at) but the balance as of 2026-01-02
    # at 0.00 - 100.00 = -100.00: from 2026-01-02 to 2026-05-31 the account would show -100.00.
    post(book, deposit("fund", "2026-06-01", "1000.00"))
    watch = ["2026-01-01", "2026-01-02", "2026-05-31", "2026-06-01"]
    assert balances(book, CASH, watch) == {
        "now": "1000.00",
        "2026-01-01": "0.00",
        "2026-01-02": "0.00",
        "2026-05-31": "0.00",
        "2026-06-01": "1000.00",
    }

    message, info, violations = refused_post(book, ledger, payout("early", "2026-01-02", "100.00"), watch=watch)

    expected = (
        f"{CASH} must not go negative: as of 2026-01-02 its balance would be -100.00 CNY, short by 100.00 CNY; "
        "date the transaction on or after 2026-06-01, or fund the account first "
        "(at least 100.00 CNY, dated on or before 2026-01-02)"
    )
    assert message == f"transactions[0] (early): {expected}"
    assert [(v.type, v.subject, v.description) for v in violations] == [("INSUFFICIENT_FUNDS", CASH, expected)]
    assert dict(info.metadata) == {"request_id": "early", "account": CASH}

    # Dated on the day the message names, the same payout is fine: 1,000.00 - 100.00 = 900.00 from then on.
    post(book, payout("on-time", "2026-06-01", "100.00"))
    assert balances(book, CASH, watch) == {
        "now": "900.00",
        "2026-01-01": "0.00",
        "2026-01-02": "0.00",
        "2026-05-31": "0.00",
        "2026-06-01": "900.00",
    }


def test_a_back_dated_transfer_after_the_funding_is_accepted(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 dated 2026-01-01 and 500.00 dated 2026-06-01. A payout of 300.00 dated 2026-03-01 is covered
    # by the first deposit: as of 2026-03-01 1,000.00 - 300.00 = 700.00, as of 2026-06-01 700.00 + 500.00 =
    # 1,200.00, and 1,200.00 now.
    post(book, deposit("fund-jan", "2026-01-01", "1000.00"), deposit("fund-jun", "2026-06-01", "500.00"))
    post(book, payout("march", "2026-03-01", "300.00"))
    watch = ["2025-12-31", "2026-01-01", "2026-02-28", "2026-03-01", "2026-05-31", "2026-06-01"]
    assert balances(book, CASH, watch) == {
        "now": "1200.00",
        "2025-12-31": "0.00",
        "2026-01-01": "1000.00",
        "2026-02-28": "1000.00",
        "2026-03-01": "700.00",
        "2026-05-31": "700.00",
        "2026-06-01": "1200.00",
    }

    # Another 800.00 on 2026-03-01 would leave 700.00 - 800.00 = -100.00 from 2026-03-01 to 2026-05-31
    # (and 400.00 from 2026-06-01 on, which is why the current balance alone would not catch it).
    message, _, _ = refused_post(book, ledger, payout("march-2", "2026-03-01", "800.00"), watch=watch)
    assert message == (
        f"transactions[0] (march-2): {CASH} must not go negative: as of 2026-03-01 its balance would be "
        "-100.00 CNY, short by 100.00 CNY; date the transaction on or after 2026-06-01, or fund the account "
        "first (at least 100.00 CNY, dated on or before 2026-03-01)"
    )


def test_a_batch_whose_second_transaction_dips_writes_nothing(book: Stub, ledger: Ledger) -> None:
    # Cash: 1,000.00 dated 2026-06-01. The batch pays 200.00 on 2026-07-01 (as of then 800.00: fine on its
    # own), then 100.00 on 2026-05-01, when the account holds nothing yet: -100.00 as of 2026-05-01.
    post(book, deposit("fund", "2026-06-01", "1000.00"))
    watch = ["2026-05-01", "2026-06-01", "2026-07-01"]
    message, info, _ = refused_post(
        book,
        ledger,
        payout("july", "2026-07-01", "200.00"),
        payout("may", "2026-05-01", "100.00"),
        watch=watch,
    )
    assert message == (
        f"transactions[1] (may): {CASH} must not go negative: as of 2026-05-01 its balance would be -100.00 CNY, "
        "short by 100.00 CNY; date the transaction on or after 2026-06-01, or fund the account first "
        "(at least 100.00 CNY, dated on or before 2026-05-01)"
    )
    assert info.metadata["request_id"] == "may"
    # Nothing of the batch was written, not even the July payout.
    assert balances(book, CASH, watch) == {
        "now": "1000.00",
        "2026-05-01": "0.00",
        "2026-06-01": "1000.00",
        "2026-07-01": "1000.00",
    }


def test_earlier_transactions_of_a_batch_count_on_their_own_dates(book: Stub, ledger: Ledger) -> None:
    # Reserve is empty. In one batch: 100.00 in dated 2026-05-15, then 100.00 out dated 2026-05-01. The
    # deposit is part of the running state, but on its own date: as of 2026-05-01 the reserve would hold
    # 0.00 - 100.00 = -100.00 (the current balance, 0.00, looks fine).
    watch = ["2026-05-01", "2026-05-15"]
    message, _, _ = refused_post(
        book,
        ledger,
        deposit("in", "2026-05-15", "100.00", RESERVE),
        payout("out", "2026-05-01", "100.00", RESERVE),
        watch=watch,
    )
    assert message == (
        f"transactions[1] (out): {RESERVE} must not go negative: as of 2026-05-01 its balance would be "
        "-100.00 CNY, short by 100.00 CNY; date the transaction on or after 2026-05-15, or fund the account "
        "first (at least 100.00 CNY, dated on or before 2026-05-01)"
    )
    # Deposited first on the same date, or earlier, the payout is covered by the batch's own deposit.
    post(
        book,
        deposit("in-2", "2026-05-01", "100.00", RESERVE),
        payout("out-2", "2026-05-01", "60.00", RESERVE),
        payout("out-3", "2026-05-02", "40.00", RESERVE),
    )
    assert balances(book, RESERVE, ["2026-04-30", "2026-05-01", "2026-05-02"]) == {
        "now": "0.00",
        "2026-04-30": "0.00",
        "2026-05-01": "40.00",  # 100.00 - 60.00
        "2026-05-02": "0.00",  # 40.00 - 40.00
    }


def test_a_reversal_that_would_dip_an_earlier_date_is_refused(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 in on 2026-01-01, 800.00 out on 2026-02-01, 1,000.00 in on 2026-06-01: now 1,200.00.
    first = post(book, deposit("fund-jan", "2026-01-01", "1000.00")).transactions[0]
    post(book, payout("feb", "2026-02-01", "800.00"), deposit("fund-jun", "2026-06-01", "1000.00"))
    # Reversing the January deposit (dated 2026-01-01 like the original) would leave 200.00 now, but
    # 0.00 as of 2026-01-01 and 0.00 - 800.00 = -800.00 from 2026-02-01 to 2026-05-31.
    watch = ["2026-01-01", "2026-02-01", "2026-06-01"]
    message, _, _ = refused(
        book, ledger, book.ReverseTransaction, pb.ReverseTransactionRequest(request_id="undo", name=first.name), watch
    )
    assert message == (
        f"undo: {CASH} must not go negative: as of 2026-02-01 its balance would be -800.00 CNY, short by "
        "800.00 CNY; date the transaction on or after 2026-06-01, or fund the account first (at least "
        "800.00 CNY, dated on or before 2026-01-01)"
    )
    # Dated 2026-06-01 instead (the date the message names), the reversal is fine: 1,000.00 as of
    # 2026-01-01, 200.00 as of 2026-02-01, 200.00 + 1,000.00 - 1,000.00 = 200.00 as of 2026-06-01 and now.
    book.ReverseTransaction(
        pb.ReverseTransactionRequest(request_id="undo-june", name=first.name, value_date=date("2026-06-01"))
    )
    assert balances(book, CASH, watch) == {
        "now": "200.00",
        "2026-01-01": "1000.00",
        "2026-02-01": "200.00",
        "2026-06-01": "200.00",
    }


# ------------------------------------------------------------------------------------------ future dates


def test_money_dated_in_the_future_cannot_be_spent_today(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 arrives on 2027-02-01 (a future value date). Paying 300.00 today (2026-12-05) would leave
    # 700.00 now (the balance includes future-dated postings) but -300.00 as of today until 2027-01-31.
    post(book, deposit("fund-later", "2027-02-01", "1000.00"))
    watch = ["2026-12-05", "2027-01-31", "2027-02-01"]
    message, _, _ = refused_post(book, ledger, payout("today", "2026-12-05", "300.00"), watch=watch)
    assert message == (
        f"transactions[0] (today): {CASH} must not go negative: as of 2026-12-05 its balance would be "
        "-300.00 CNY, short by 300.00 CNY; date the transaction on or after 2027-02-01, or fund the account "
        "first (at least 300.00 CNY, dated on or before 2026-12-05)"
    )
    post(book, payout("later", "2027-02-01", "300.00"))
    assert balances(book, CASH, watch) == {
        "now": "700.00",
        "2026-12-05": "0.00",
        "2027-01-31": "0.00",
        "2027-02-01": "700.00",
    }


def test_a_future_dated_payout_may_not_dip_a_later_future_date(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 on 2026-12-01; 600.00 out on 2027-01-15 (400.00 from then on). Another 500.00 out on
    # 2027-01-10: 500.00 as of 2027-01-10, but 500.00 - 600.00 = -100.00 as of 2027-01-15; no later date
    # would help (it is the last one), so only funding does.
    post(book, deposit("fund", "2026-12-01", "1000.00"), payout("jan-15", "2027-01-15", "600.00"))
    watch = ["2027-01-10", "2027-01-15"]
    message, _, _ = refused_post(book, ledger, payout("jan-10", "2027-01-10", "500.00"), watch=watch)
    assert message == (
        f"transactions[0] (jan-10): {CASH} must not go negative: as of 2027-01-15 its balance would be "
        "-100.00 CNY, short by 100.00 CNY; fund the account first (at least 100.00 CNY, dated on or before "
        "2027-01-10)"
    )
    assert balances(book, CASH, watch) == {"now": "400.00", "2027-01-10": "1000.00", "2027-01-15": "400.00"}


# ------------------------------------------------------------------------------------------ holds


def create_hold(stub: Stub, request_id: str, value: str) -> pb.Hold:
    return stub.CreateHold(
        pb.CreateHoldRequest(
            request_id=request_id,
            debit_account=PAYOUTS,
            credit_account=CASH,
            amount=pb.Amount(commodity="CNY", value=value),
        )
    ).hold


def test_held_amounts_count_against_every_date_from_today_on(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 dated 2026-12-01 and 500.00 dated 2027-01-15 (future): 1,500.00 now, 1,000.00 as of today.
    post(book, deposit("fund-dec", "2026-12-01", "1000.00"), deposit("fund-jan", "2027-01-15", "500.00"))
    watch = ["2026-12-02", "2026-12-05", "2027-01-15"]

    # A hold of 1,200.00 fits the current balance (1,500.00 - 1,200.00 = 300.00) but not today's:
    # 1,000.00 - 1,200.00 = -200.00 until 2027-01-14. At most 1,000.00 can be held.
    message, _, violations = refused(
        book,
        ledger,
        book.CreateHold,
        pb.CreateHoldRequest(
            request_id="hold-big",
            debit_account=PAYOUTS,
            credit_account=CASH,
            amount=pb.Amount(commodity="CNY", value="1200.00"),
        ),
        watch,
    )
    assert message == (
        f"{CASH} must not go negative: with this hold, as of 2026-12-05 its balance would be 1000.00 CNY with "
        "1200.00 held, short by 200.00 CNY; hold at most 1000.00, or fund the account first (at least 200.00 CNY)"
    )
    assert [(v.type, v.subject) for v in violations] == [("INSUFFICIENT_FUNDS", CASH)]

    hold = create_hold(book, "hold", "800.00")  # today: 1,000.00 - 800.00 = 200.00 available

    # A payout of 300.00 back-dated to 2026-12-02: as of 2026-12-02 (before today, holds do not count)
    # 1,000.00 - 300.00 = 700.00 is fine, but from today on 700.00 - 800.00 held = -100.00 until
    # 2027-01-14. The current balance with the hold (1,200.00 - 800.00 = 400.00) would not catch it.
    message, _, _ = refused_post(book, ledger, payout("back", "2026-12-02", "300.00"), watch=watch)
    assert message == (
        f"transactions[0] (back): {CASH} must not go negative: as of 2026-12-05 its balance would be 700.00 CNY "
        "with 800.00 held, short by 100.00 CNY; date the transaction on or after 2027-01-15, or fund the "
        "account first (at least 100.00 CNY, dated on or before 2026-12-02), or release a hold on it"
    )

    # 200.00 back-dated is fine: 800.00 as of 2026-12-02, 800.00 - 800.00 held = 0.00 from today on.
    post(book, payout("back-ok", "2026-12-02", "200.00"))
    # Capturing the hold today releases it and pays 800.00: 0.00 as of today, 500.00 from 2027-01-15 on.
    book.CaptureHold(pb.CaptureHoldRequest(request_id="capture", name=hold.name))
    assert balances(book, CASH, ["2026-12-01", *watch]) == {
        "now": "500.00",
        "2026-12-01": "1000.00",
        "2026-12-02": "800.00",
        "2026-12-05": "0.00",
        "2027-01-15": "500.00",
    }


def test_a_back_dated_capture_is_checked_like_any_posting(book: Stub, ledger: Ledger) -> None:
    # 1,000.00 dated 2026-12-01; a hold of 400.00. Captured with value date 2026-11-30 it would pay
    # 400.00 out a day before the money arrived: -400.00 as of 2026-11-30. Refused; the hold stays pending.
    post(book, deposit("fund", "2026-12-01", "1000.00"))
    hold = create_hold(book, "hold", "400.00")
    watch = ["2026-11-30", "2026-12-01"]
    message, _, _ = refused(
        book,
        ledger,
        book.CaptureHold,
        pb.CaptureHoldRequest(request_id="capture-early", name=hold.name, value_date=date("2026-11-30")),
        watch,
    )
    assert message == (
        f"capture-early: {CASH} must not go negative: as of 2026-11-30 its balance would be -400.00 CNY, "
        "short by 400.00 CNY; date the transaction on or after 2026-12-01, or fund the account first "
        "(at least 400.00 CNY, dated on or before 2026-11-30)"
    )
    assert book.GetHold(pb.GetHoldRequest(name=hold.name)).hold.state == pb.HOLD_STATE_PENDING
    captured = book.CaptureHold(
        pb.CaptureHoldRequest(request_id="capture", name=hold.name, value_date=date("2026-12-01"))
    )
    assert captured.hold.state == pb.HOLD_STATE_CAPTURED
    assert balances(book, CASH, watch) == {"now": "600.00", "2026-11-30": "0.00", "2026-12-01": "600.00"}
