"""Bad input in fields, dates, metadata, page tokens, reversals, parties and accounts gets a clear error and
changes nothing, over real gRPC on SQLite and PostgreSQL.

Every case sends one bad request to the shared book of tests/integration/bad_input_book.py (which says
what it holds) and checks the status code (never INTERNAL or UNKNOWN), a message a person can act on,
the google.rpc details, and that the database is exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from google.type import date_pb2

from tests.integration.bad_input_book import (
    BANK,
    BANK_CASH,
    BANK_LOANS,
    EXISTS,
    INVALID,
    INVEST,
    NOT_FOUND,
    OPTION,
    PRECONDITION,
    TODAY,
    Book,
    credit,
    date,
    debit,
    fresh_id,
    post,
    post_refused,
    refuse,
    tx,
)
from toudai.v1 import ledger_pb2 as pb

# ---------------------------------------------------------------- required fields and dates


def test_missing_request_id(book: Book) -> None:
    r = post_refused(book, post(tx("", debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"))))
    v = r.violation("transactions[0].request_id")
    assert "is required" in v.description and "retry" in v.description


@pytest.mark.parametrize("request_id", ["has space", "x" * 129, "中文"])
def test_malformed_request_id(book: Book, request_id: str) -> None:
    r = post_refused(book, post(tx(request_id, debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"))))
    assert "1 to 128 printable ASCII" in r.violation("transactions[0].request_id").description


def test_missing_side(book: Book) -> None:
    unsided = pb.Posting(account=BANK_CASH, amount=pb.Amount(commodity="CNY", value="1.00"))
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), unsided)))
    v = r.violation("transactions[0].postings[1].side")
    assert "SIDE_DEBIT or SIDE_CREDIT" in v.description


def test_unknown_side(book: Book) -> None:
    odd = pb.Posting(account=BANK_CASH, side=7, amount=pb.Amount(commodity="CNY", value="1.00"))  # type: ignore[arg-type]
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), odd)))
    assert "not a known side" in r.violation("transactions[0].postings[1].side").description


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_postings(book: Book, count: int) -> None:
    postings = [debit(BANK_LOANS, "1.00")][:count]
    r = post_refused(book, post(tx(fresh_id(), *postings)))
    assert "at least two postings" in r.violation("transactions[0].postings").description


@pytest.mark.parametrize(
    "when",
    [dt.date(1989, 12, 31), TODAY + dt.timedelta(days=730), TODAY + dt.timedelta(days=367)],
    ids=["1989-12-31", "two-years-ahead", "367-days-ahead"],
)
def test_value_date_out_of_range(book: Book, when: dt.date) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), value_date=date(when)))
    )
    assert r.info.reason == "VALUE_DATE_OUT_OF_RANGE"
    v = r.violation("transactions[0].value_date")
    assert v.reason == "VALUE_DATE_OUT_OF_RANGE"
    assert when.isoformat() in v.description and "1990-01-01" in v.description


@pytest.mark.parametrize(
    "impossible",
    [date_pb2.Date(year=2026, month=2, day=30), date_pb2.Date(year=2026, month=13, day=1), date_pb2.Date(month=1)],
)
def test_impossible_value_date(book: Book, impossible: date_pb2.Date) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), value_date=impossible))
    )
    v = r.violation("transactions[0].value_date")
    assert "is not a valid date" in v.description
    assert f"{impossible.year:04d}-{impossible.month:02d}-{impossible.day:02d}" in v.description


def test_missing_value_date_is_the_servers_business_date(book: Book) -> None:
    """Issue 16: one clock. A transaction without a value date is dated on the server's business date,
    the date in Asia/Shanghai now (not the client's UTC date), and a retry replays it."""
    request = post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00")))
    request.transactions[0].ClearField("value_date")
    posted = book.stub.PostTransactions(request).transactions[0]
    shanghai = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    day = dt.date(posted.value_date.year, posted.value_date.month, posted.value_date.day)
    assert day in (shanghai, shanghai - dt.timedelta(days=1))  # the call may straddle midnight there
    assert book.stub.PostTransactions(request).transactions[0].name == posted.name


# ---------------------------------------------------------------- metadata and text


def test_too_many_metadata_keys(book: Book) -> None:
    metadata = {f"k{i}": "v" for i in range(33)}
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata=metadata))
    )
    assert r.info.reason == "METADATA_TOO_LARGE"
    v = r.violation("transactions[0].metadata")
    assert v.reason == "METADATA_TOO_LARGE" and "33 keys" in v.description and "32" in v.description


def test_metadata_value_too_long(book: Book) -> None:
    metadata = {"deal": "x" * 513}
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata=metadata))
    )
    assert r.info.reason == "METADATA_TOO_LARGE"
    v = r.violation("transactions[0].metadata['deal']")
    assert "513 characters" in v.description and "512" in v.description


def test_metadata_key_too_long(book: Book) -> None:
    key = "k" * 65
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata={key: "v"}))
    )
    assert r.info.reason == "METADATA_TOO_LARGE"
    v = r.violation(f"transactions[0].metadata[{key!r}]")
    assert "1 to 64 characters" in v.description


@pytest.mark.parametrize(
    ("metadata", "needle"),
    [
        ({"bad key": "v"}, "letters, digits"),
        ({"deal\n": "v"}, "letters, digits"),
        ({"toudai.hold": "x"}, "reserved"),
        ({"deal": "a\x00b"}, "control"),
        ({"deal": "a\rb"}, "control"),
    ],
)
def test_bad_metadata_entries(book: Book, metadata: dict[str, str], needle: str) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata=metadata))
    )
    (key,) = metadata
    assert needle in r.violation(f"transactions[0].metadata[{key!r}]").description


@pytest.mark.parametrize(("description", "needle"), [("x" * 1025, "limit is 1024"), ("a\x00b", "control")])
def test_bad_description(book: Book, description: str, needle: str) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), description=description))
    )
    assert needle in r.violation("transactions[0].description").description


# ---------------------------------------------------------------- pagination


@pytest.mark.parametrize("token", ["garbage!!", "bm90IGpzb24", "e30", "eyJwIjoxLCJmIjoyfQ", "%%%"])
def test_malformed_page_token(book: Book, token: str) -> None:
    for call, request in (
        (book.stub.ListTransactions, pb.ListTransactionsRequest(party=BANK, page_token=token)),
        (book.stub.ListAccounts, pb.ListAccountsRequest(page_token=token)),
        (book.stub.ListParties, pb.ListPartiesRequest(page_token=token)),
    ):
        r = refuse(book, call, request, INVALID)
        assert r.info.reason == "INVALID_PAGE_TOKEN"
        v = r.violation("page_token")
        assert "not a page token this server issued" in v.description and "unchanged" in v.description


def test_page_token_used_with_other_filters(book: Book) -> None:
    first = book.stub.ListTransactions(pb.ListTransactionsRequest(party=BANK, page_size=1))
    assert first.next_page_token
    for other in (
        pb.ListTransactionsRequest(party=INVEST, page_token=first.next_page_token),
        pb.ListTransactionsRequest(party=BANK, metadata_key="deal", page_token=first.next_page_token),
        pb.ListTransactionsRequest(account=BANK_CASH, page_token=first.next_page_token),
    ):
        r = refuse(book, book.stub.ListTransactions, other, INVALID)
        assert r.info.reason == "PAGE_TOKEN_FILTER_MISMATCH"
        assert "different filters" in r.violation("page_token").description
    accounts = book.stub.ListAccounts(pb.ListAccountsRequest(party=BANK, page_size=1))
    r = refuse(
        book,
        book.stub.ListAccounts,
        pb.ListAccountsRequest(commodity="CNY", page_token=accounts.next_page_token),
        INVALID,
    )
    assert r.info.reason == "PAGE_TOKEN_FILTER_MISMATCH"
    # The same filters with the same token still work.
    again = book.stub.ListTransactions(pb.ListTransactionsRequest(party=BANK, page_token=first.next_page_token))
    assert again.transactions


# ---------------------------------------------------------------- reversals


def test_reversal_of_an_unknown_transaction(book: Book) -> None:
    name = f"transactions/{uuid.uuid4()}"
    r = refuse(
        book, book.stub.ReverseTransaction, pb.ReverseTransactionRequest(request_id=fresh_id(), name=name), NOT_FOUND
    )
    assert r.message == f"transaction {name} does not exist"
    assert r.info.metadata["resource"] == name


def test_reversal_of_a_malformed_name(book: Book) -> None:
    r = refuse(
        book,
        book.stub.ReverseTransaction,
        pb.ReverseTransactionRequest(request_id=fresh_id(), name="transactions/seed-fee"),
        INVALID,
    )
    assert "does not end in a UUID" in r.violation("name").description


def test_reversing_twice(book: Book) -> None:
    original = book.posted["seed-fee"]
    assert book.reversal is not None
    r = refuse(
        book,
        book.stub.ReverseTransaction,
        pb.ReverseTransactionRequest(request_id=fresh_id("rev"), name=original.name),
        PRECONDITION,
    )
    assert r.info.reason == "ALREADY_REVERSED"
    assert f"already reversed by {book.reversal.name}" in r.message
    assert [(p.type, p.subject) for p in r.preconditions] == [("ALREADY_REVERSED", original.name)]


def test_reversing_a_reversal(book: Book) -> None:
    assert book.reversal is not None
    r = refuse(
        book,
        book.stub.ReverseTransaction,
        pb.ReverseTransactionRequest(request_id=fresh_id("rev"), name=book.reversal.name),
        PRECONDITION,
    )
    assert r.info.reason == "REVERSAL_OF_REVERSAL"
    assert "is itself a reversal" in r.message
    assert [(p.type, p.subject) for p in r.preconditions] == [("REVERSAL_OF_REVERSAL", book.reversal.name)]


def test_reversal_value_date_out_of_range(book: Book) -> None:
    r = refuse(
        book,
        book.stub.ReverseTransaction,
        pb.ReverseTransactionRequest(
            request_id=fresh_id(), name=book.posted["seed-loan-acme"].name, value_date=date(dt.date(1989, 12, 31))
        ),
        INVALID,
    )
    assert r.violation("value_date").reason == "VALUE_DATE_OUT_OF_RANGE"


# ---------------------------------------------------------------- parties and accounts


def test_create_account_in_an_unknown_party(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateAccount,
        pb.CreateAccountRequest(
            request_id=fresh_id(),
            party="parties/nobody",
            code="cash",
            display_name="Cash",
            type=pb.ACCOUNT_TYPE_ASSET,
            commodity="CNY",
        ),
        NOT_FOUND,
    )
    assert r.message == "party parties/nobody does not exist"


def test_create_account_with_a_taken_code(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateAccount,
        pb.CreateAccountRequest(
            request_id=fresh_id(),
            party=BANK,
            code="cash",
            display_name="Cash again",
            type=pb.ACCOUNT_TYPE_ASSET,
            commodity="CNY",
        ),
        EXISTS,
    )
    assert r.info.reason == "ACCOUNT_EXISTS"
    assert f"account {BANK_CASH} already exists" in r.message


def test_refused_account_in_a_new_currency_leaves_no_trace(book: Book) -> None:
    """A refused CreateAccount in a not-yet-registered ISO currency must not half-register it."""
    r = refuse(
        book,
        book.stub.CreateAccount,
        pb.CreateAccountRequest(
            request_id=fresh_id(),
            party=BANK,
            code="cash",
            display_name="USD cash",
            type=pb.ACCOUNT_TYPE_ASSET,
            commodity="USD",
        ),
        EXISTS,
    )
    assert r.info.reason == "ACCOUNT_EXISTS"
    codes = [c.code for c in book.stub.ListCommodities(pb.ListCommoditiesRequest()).commodities]
    assert "USD" not in codes
    # The refusal left nothing behind that breaks the next, valid request.
    created = book.stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id=fresh_id(),
            party=BANK,
            code="cash-usd",
            display_name="USD cash",
            type=pb.ACCOUNT_TYPE_ASSET,
            commodity="USD",
        )
    ).account
    assert created.commodity == "USD"


@pytest.mark.parametrize(
    ("field_name", "message"),
    [
        ("commodity", pb.CreateAccountRequest(party=BANK, code="x1", type=pb.ACCOUNT_TYPE_ASSET, commodity="cny")),
        ("code", pb.CreateAccountRequest(party=BANK, code="Cash Box", type=pb.ACCOUNT_TYPE_ASSET, commodity="CNY")),
        ("type", pb.CreateAccountRequest(party=BANK, code="x2", commodity="CNY")),
        ("party", pb.CreateAccountRequest(party="bank-hz", code="x3", type=pb.ACCOUNT_TYPE_ASSET, commodity="CNY")),
    ],
)
def test_create_account_malformed(book: Book, field_name: str, message: pb.CreateAccountRequest) -> None:
    message.request_id = fresh_id()
    r = refuse(book, book.stub.CreateAccount, message, INVALID)
    assert field_name in r.fields


def test_create_account_in_an_unknown_commodity(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateAccount,
        pb.CreateAccountRequest(
            request_id=fresh_id(), party=BANK, code="x4", type=pb.ACCOUNT_TYPE_ASSET, commodity="OPT-NOBODY"
        ),
        INVALID,
    )
    assert r.info.reason == "UNKNOWN_COMMODITY"
    assert "CreateCommodity first" in r.violation("commodity").description


@pytest.mark.parametrize("party_id", ["Bank HZ", "bank_hz", "1bank", "", "b" * 64])
def test_bad_party_id(book: Book, party_id: str) -> None:
    r = refuse(
        book,
        book.stub.CreateParty,
        pb.CreatePartyRequest(
            request_id=fresh_id(), party_id=party_id, display_name="Bank", kind=pb.PARTY_KIND_BANK_BRANCH
        ),
        INVALID,
    )
    v = r.violation("party_id")
    assert "lowercase letters, digits or hyphens" in v.description and "bank-hz" in v.description


def test_duplicate_party(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateParty,
        pb.CreatePartyRequest(
            request_id=fresh_id(), party_id="bank-hz", display_name="Again", kind=pb.PARTY_KIND_BANK_BRANCH
        ),
        EXISTS,
    )
    assert r.info.reason == "PARTY_EXISTS"


@pytest.mark.parametrize(
    ("field_name", "message"),
    [
        ("code", pb.CreateCommodityRequest(code="XYZ", kind=pb.COMMODITY_KIND_CURRENCY)),
        ("scale", pb.CreateCommodityRequest(code="CNY", kind=pb.COMMODITY_KIND_CURRENCY, scale=3)),
        ("scale", pb.CreateCommodityRequest(code="SHR-ACME", kind=pb.COMMODITY_KIND_SHARE, scale=19)),
        ("scale", pb.CreateCommodityRequest(code="SHR-ACME", kind=pb.COMMODITY_KIND_SHARE, scale=-1)),
        ("kind", pb.CreateCommodityRequest(code="SHR-ACME")),
        ("code", pb.CreateCommodityRequest(code="shr-acme", kind=pb.COMMODITY_KIND_SHARE)),
    ],
)
def test_create_commodity_malformed(book: Book, field_name: str, message: pb.CreateCommodityRequest) -> None:
    message.request_id = fresh_id()
    r = refuse(book, book.stub.CreateCommodity, message, INVALID)
    assert field_name in r.fields


def test_duplicate_commodity(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateCommodity,
        pb.CreateCommodityRequest(request_id=fresh_id(), code=OPTION, kind=pb.COMMODITY_KIND_OPTION),
        EXISTS,
    )
    assert r.info.reason == "COMMODITY_EXISTS"
