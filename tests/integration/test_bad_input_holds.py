"""Bad input to holds and balances, and the sweep that nothing a client sends answers INTERNAL or UNKNOWN;
over real gRPC on SQLite and PostgreSQL, the database unchanged after each refusal.

Every case sends one bad request to the shared book of tests/integration/bad_input_book.py (which says
what it holds) and checks the status code (never INTERNAL or UNKNOWN), a message a person can act on,
the google.rpc details, and that the database is exactly as it was.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.type import date_pb2
from grpc_status import rpc_status

from tests.integration.bad_input_book import (
    BANK,
    BANK_CAPITAL,
    BANK_CASH,
    BANK_LOANS,
    INVALID,
    INVEST_CASH,
    INVEST_OPTIONS,
    NOT_FOUND,
    OPTION,
    PRECONDITION,
    Book,
    acct,
    credit,
    debit,
    fresh_id,
    post,
    post_refused,
    refuse,
    tx,
    unchanged,
)
from toudai.v1 import ledger_pb2 as pb

# ---------------------------------------------------------------- holds


def test_capture_of_a_voided_hold(book: Book) -> None:
    assert book.voided_hold is not None
    name = book.voided_hold.name
    r = refuse(book, book.stub.CaptureHold, pb.CaptureHoldRequest(request_id=fresh_id("cap"), name=name), PRECONDITION)
    assert r.info.reason == "HOLD_NOT_PENDING"
    assert r.info.metadata["state"] == "voided"
    assert r.message == f"{name} is voided; only a pending hold can be captured"
    assert [(p.type, p.subject, p.description) for p in r.preconditions] == [
        ("HOLD_NOT_PENDING", name, "state is voided")
    ]


def test_void_of_a_voided_hold(book: Book) -> None:
    assert book.voided_hold is not None
    r = refuse(
        book,
        book.stub.VoidHold,
        pb.VoidHoldRequest(request_id=fresh_id("void"), name=book.voided_hold.name),
        PRECONDITION,
    )
    assert r.info.reason == "HOLD_NOT_PENDING" and "is voided" in r.message


def test_capture_more_than_held(book: Book) -> None:
    assert book.pending_hold is not None
    r = refuse(
        book,
        book.stub.CaptureHold,
        pb.CaptureHoldRequest(
            request_id=fresh_id("cap"),
            name=book.pending_hold.name,
            amount=pb.Amount(commodity="CNY", value="600000.01"),
        ),
        INVALID,
    )
    assert r.info.reason == "CAPTURE_EXCEEDS_HOLD"
    v = r.violation("amount.value")
    assert "more than the hold's 600000.00" in v.description


@pytest.mark.parametrize(
    ("amount", "field_name", "reason"),
    [
        (pb.Amount(commodity="CNY", value="0.00"), "amount.value", "NON_POSITIVE_AMOUNT"),
        (pb.Amount(commodity="CNY", value="1.001"), "amount.value", "INVALID_AMOUNT"),
        (pb.Amount(commodity="CNY", value="abc"), "amount.value", "INVALID_AMOUNT"),
        (pb.Amount(commodity=OPTION, value="1"), "amount.commodity", "COMMODITY_MISMATCH"),
    ],
)
def test_capture_with_a_bad_amount(book: Book, amount: pb.Amount, field_name: str, reason: str) -> None:
    assert book.pending_hold is not None
    r = refuse(
        book,
        book.stub.CaptureHold,
        pb.CaptureHoldRequest(request_id=fresh_id("cap"), name=book.pending_hold.name, amount=amount),
        INVALID,
    )
    assert r.violation(field_name).reason == reason


def test_capture_of_an_unknown_hold(book: Book) -> None:
    name = f"holds/{uuid.uuid4()}"
    r = refuse(book, book.stub.CaptureHold, pb.CaptureHoldRequest(request_id=fresh_id(), name=name), NOT_FOUND)
    assert r.message == f"hold {name} does not exist"


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"credit_account": BANK_LOANS}, "credit_account"),  # same account twice
        ({"credit_account": INVEST_CASH}, "credit_account"),  # another book
        ({"credit_account": INVEST_OPTIONS}, "credit_account"),  # other commodity, other book
        ({"amount": pb.Amount(commodity="CNY", value="-1.00")}, "amount.value"),
        ({"amount": pb.Amount(commodity=OPTION, value="1")}, "amount.commodity"),
        ({"debit_account": "loans"}, "debit_account"),
        ({"metadata": {"k" * 65: "v"}}, "metadata['" + "k" * 65 + "']"),
        ({"expire_time": timestamp_pb2.Timestamp(seconds=1)}, "expire_time"),
    ],
)
def test_create_hold_malformed(book: Book, change: dict[str, Any], field_name: str) -> None:
    values: dict[str, Any] = {
        "request_id": fresh_id("hold"),
        "debit_account": BANK_LOANS,
        "credit_account": BANK_CASH,
        "amount": pb.Amount(commodity="CNY", value="1.00"),
        **change,
    }
    r = refuse(book, book.stub.CreateHold, pb.CreateHoldRequest(**values), INVALID)
    assert field_name in r.fields


# ---------------------------------------------------------------- balances


@pytest.mark.parametrize("name", ["bank-hz/cash", "parties/bank-hz", "parties/bank-hz/accounts/", ""])
def test_get_balance_of_a_malformed_name(book: Book, name: str) -> None:
    r = refuse(book, book.stub.GetBalance, pb.GetBalanceRequest(account=name), INVALID)
    assert "is not an account name" in r.violation("account").description


def test_get_balance_of_an_unknown_account(book: Book) -> None:
    missing = acct(BANK, "no-such-account")
    r = refuse(book, book.stub.GetBalance, pb.GetBalanceRequest(account=missing), NOT_FOUND)
    assert r.message == f"account {missing} does not exist"
    assert r.info.metadata["resource"] == missing


def test_get_balance_as_of_an_impossible_date(book: Book) -> None:
    r = refuse(
        book,
        book.stub.GetBalance,
        pb.GetBalanceRequest(account=BANK_CASH, as_of_date=date_pb2.Date(year=2026, month=2, day=30)),
        INVALID,
    )
    assert "2026-02-30 is not a valid date" in r.violation("as_of_date").description


def test_batch_get_balances_over_the_limit(book: Book) -> None:
    names = [acct(BANK, f"a-{i}") for i in range(1_001)]
    r = refuse(book, book.stub.BatchGetBalances, pb.BatchGetBalancesRequest(accounts=names), INVALID)
    assert r.info.reason == "BATCH_TOO_LARGE"
    v = r.violation("accounts")
    assert "1001 accounts" in v.description and "1000" in v.description


def test_batch_get_balances_names_each_bad_entry(book: Book) -> None:
    r = refuse(
        book,
        book.stub.BatchGetBalances,
        pb.BatchGetBalancesRequest(accounts=[BANK_CASH, "bank-hz/cash", INVEST_CASH, "nope"]),
        INVALID,
    )
    assert r.fields == ["accounts[1]", "accounts[3]"]


def test_batch_get_balances_empty(book: Book) -> None:
    r = refuse(book, book.stub.BatchGetBalances, pb.BatchGetBalancesRequest(), INVALID)
    assert "is empty" in r.violation("accounts").description


# ---------------------------------------------------------------- never INTERNAL, never UNKNOWN

NUL = "\x00"
FAR_FUTURE = timestamp_pb2.Timestamp(seconds=10**12)

GARBAGE: list[tuple[str, Any]] = [
    ("CreateParty", pb.CreatePartyRequest()),
    ("CreateParty", pb.CreatePartyRequest(request_id="p", party_id="x", display_name="X", kind=99)),  # type: ignore[arg-type]
    ("CreateParty", pb.CreatePartyRequest(request_id="p", party_id="x", display_name=NUL, kind=1)),  # type: ignore[arg-type]
    ("GetParty", pb.GetPartyRequest()),
    ("GetParty", pb.GetPartyRequest(name="parties/" + NUL)),
    ("GetParty", pb.GetPartyRequest(name="parties/nobody")),
    ("ListParties", pb.ListPartiesRequest(page_size=-1)),
    ("CreateCommodity", pb.CreateCommodityRequest()),
    ("CreateCommodity", pb.CreateCommodityRequest(request_id="c", code="X", kind=2, scale=2**31 - 1)),  # type: ignore[arg-type]
    ("CreateAccount", pb.CreateAccountRequest()),
    ("CreateAccount", pb.CreateAccountRequest(request_id="a", party=BANK, code="z", type=9, commodity="CNY")),  # type: ignore[arg-type]
    ("GetAccount", pb.GetAccountRequest()),
    ("GetAccount", pb.GetAccountRequest(name=acct(BANK, "nope"))),
    ("ListAccounts", pb.ListAccountsRequest(party="bank hz")),
    ("ListAccounts", pb.ListAccountsRequest(commodity=NUL)),
    ("ListAccounts", pb.ListAccountsRequest(type=42)),  # type: ignore[arg-type]
    ("ListAccounts", pb.ListAccountsRequest(page_size=-5)),
    ("PostTransactions", pb.PostTransactionsRequest(transactions=[pb.TransactionInput()])),
    ("ReverseTransaction", pb.ReverseTransactionRequest()),
    ("GetTransaction", pb.GetTransactionRequest()),
    ("GetTransaction", pb.GetTransactionRequest(name="transactions/" + NUL)),
    ("GetTransaction", pb.GetTransactionRequest(name=f"transactions/{uuid.UUID(int=0)}")),
    ("ListTransactions", pb.ListTransactionsRequest(account="nope")),
    ("ListTransactions", pb.ListTransactionsRequest(account=acct(BANK, "nope"))),
    ("ListTransactions", pb.ListTransactionsRequest(party=BANK, account=INVEST_CASH)),
    ("ListTransactions", pb.ListTransactionsRequest(metadata_value="x")),
    ("ListTransactions", pb.ListTransactionsRequest(metadata_key=NUL)),
    ("ListTransactions", pb.ListTransactionsRequest(metadata_key="deal", metadata_value=NUL)),
    ("ListTransactions", pb.ListTransactionsRequest(value_date_from=date_pb2.Date(year=2026, month=2, day=30))),
    (
        "ListTransactions",
        pb.ListTransactionsRequest(
            value_date_from=date_pb2.Date(year=2026, month=2, day=1),
            value_date_to=date_pb2.Date(year=2026, month=1, day=1),
        ),
    ),
    ("GetBalance", pb.GetBalanceRequest()),
    ("GetBalance", pb.GetBalanceRequest(account=BANK_CASH, as_of_date=date_pb2.Date(year=0, month=1, day=1))),
    ("BatchGetBalances", pb.BatchGetBalancesRequest(accounts=[acct(BANK, "nope")])),
    ("CreateHold", pb.CreateHoldRequest()),
    (
        "CreateHold",
        pb.CreateHoldRequest(
            request_id="h",
            debit_account=BANK_LOANS,
            credit_account=BANK_CASH,
            amount=pb.Amount(commodity="CNY", value="1.00"),
            expire_time=FAR_FUTURE,
        ),
    ),
    (
        "CreateHold",
        pb.CreateHoldRequest(
            request_id="h",
            debit_account=BANK_LOANS,
            credit_account=BANK_CASH,
            amount=pb.Amount(commodity="CNY", value="1.00"),
            metadata={"deal": NUL},
        ),
    ),
    ("CaptureHold", pb.CaptureHoldRequest()),
    ("CaptureHold", pb.CaptureHoldRequest(request_id="c", name=f"holds/{uuid.UUID(int=0)}")),
    ("VoidHold", pb.VoidHoldRequest()),
    ("VoidHold", pb.VoidHoldRequest(request_id="v", name=f"holds/{uuid.UUID(int=0)}")),
    ("GetHold", pb.GetHoldRequest()),
    ("GetHold", pb.GetHoldRequest(name="holds/x")),
]


@pytest.mark.parametrize(("method", "request_message"), GARBAGE, ids=[f"{m}-{i}" for i, (m, _) in enumerate(GARBAGE)])
def test_no_garbage_yields_internal_or_unknown(book: Book, method: str, request_message: Any) -> None:
    with unchanged(book):
        try:
            getattr(book.stub, method)(request_message)
        except grpc.RpcError as error:
            code = error.code()  # type: ignore[attr-defined]
            assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), error.details()  # type: ignore[attr-defined]
            status = rpc_status.from_call(error)  # type: ignore[arg-type]
            assert status is not None and status.details, f"{code}: no rich details"
        else:
            pytest.fail(f"{method} accepted garbage: {request_message}")


def test_balance_beyond_what_an_account_can_hold(book: Book) -> None:
    """Each posting is within the per-posting limit, but together they exceed what a balance may hold."""
    big = "1000000000000000.00"  # 10**17 fen, the largest single posting
    postings = [debit(BANK_LOANS, big) for _ in range(100)] + [credit(BANK_CAPITAL, big) for _ in range(100)]
    request_id = fresh_id("huge")
    r = post_refused(book, post(tx(request_id, *postings)), PRECONDITION)
    assert r.info.reason == "BALANCE_LIMIT"
    assert r.message.startswith(f"transactions[0] ({request_id}): {BANK_LOANS} would reach")
    assert "beyond the limit of 10000000000000000.00 CNY per account" in r.message
    assert [p.type for p in r.preconditions] == ["BALANCE_LIMIT"]


def _tampered(token: str, position: Any) -> str:
    raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw["p"] = position
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


TAMPERED_POSITIONS = [
    (
        "ListTransactions",
        pb.ListTransactionsRequest(party=BANK, page_size=1),
        [[], ["7"], [None], [10**30], [-1], [1.5]],
    ),
    (
        "ListTransactions",
        pb.ListTransactionsRequest(page_size=1),
        [[], ["x", "y"], ["2026-11-20T00:00:00+00:00", "not-a-uuid"], [1, 2], [str(uuid.uuid4())]],
    ),
    ("ListAccounts", pb.ListAccountsRequest(page_size=1), [[], ["x"], [None, None], [1, 2], ["a", "b", "c"]]),
    ("ListParties", pb.ListPartiesRequest(page_size=1), [[], [None], [1], ["a", "b"]]),
]


@pytest.mark.parametrize(
    ("method", "first", "positions"),
    TAMPERED_POSITIONS,
    ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(TAMPERED_POSITIONS)],
)
def test_page_token_with_a_tampered_position(book: Book, method: str, first: Any, positions: list[Any]) -> None:
    """A token with the right filter fingerprint but a forged position is malformed, not a crash."""
    call = getattr(book.stub, method)
    token = call(first).next_page_token
    assert token
    for position in positions:
        following = type(first)()
        following.CopyFrom(first)
        following.page_token = _tampered(token, position)
        r = refuse(book, call, following, INVALID)
        assert r.info.reason == "INVALID_PAGE_TOKEN", (position, r.message)
