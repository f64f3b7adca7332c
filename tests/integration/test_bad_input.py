"""Bad input to PostTransactions (balancing, accounts, amounts, batches, overdrafts, idempotency) gets a clear
error and changes nothing, over real gRPC on SQLite and PostgreSQL.

Every case sends one bad request to the shared book of tests/integration/bad_input_book.py (which says
what it holds) and checks the status code (never INTERNAL or UNKNOWN), a message a person can act on,
the google.rpc details, and that the database is exactly as it was.
"""

from __future__ import annotations

import pytest

from tests.integration.bad_input_book import (
    BANK,
    BANK_CASH,
    BANK_LOANS,
    EXISTS,
    INVEST,
    INVEST_CASH,
    INVEST_HOLDINGS,
    INVEST_OPTION_GRANTS,
    INVEST_OPTIONS,
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

# ---------------------------------------------------------------- balancing


def test_unbalanced_transaction(book: Book) -> None:
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "100.00"), credit(BANK_CASH, "99.00"))))
    assert r.info.reason == "UNBALANCED"
    v = r.violation("transactions[0].postings")
    assert v.reason == "UNBALANCED"
    assert v.description == "do not balance in CNY: debits exceed credits by 1.00 CNY"
    assert "transactions[0].postings" in r.message


def test_balanced_overall_but_not_per_party(book: Book) -> None:
    # The bank pays 5,000.00 out of its cash straight into the investment arm's cash: no due-to / due-from.
    r = post_refused(book, post(tx(fresh_id(), debit(INVEST_CASH, "5000.00"), credit(BANK_CASH, "5000.00"))))
    assert r.info.reason == "UNBALANCED_PER_PARTY"
    reasons = {v.reason for v in r.field_violations}
    assert reasons == {"UNBALANCED_PER_PARTY"}
    assert r.fields == ["transactions[0].postings", "transactions[0].postings"]
    text = " ".join(v.description for v in r.field_violations)
    assert "not within party bank-hz" in text and "not within party invest-arm" in text
    assert "not within party invest-arm: its debits exceed credits by 5000.00 CNY" in text
    assert "not within party bank-hz: its credits exceed debits by 5000.00 CNY" in text
    assert "due-to / due-from" in text


def test_unknown_transaction_view(book: Book) -> None:
    request = post(tx(fresh_id(), debit(BANK_LOANS, "10.00"), credit(BANK_CASH, "10.00")))
    request.view = 7  # a number no TransactionView has (an older or newer client)
    r = post_refused(book, request)
    assert r.fields == ["view"]
    assert r.violation("view").description == ("7 is not a known view: TRANSACTION_VIEW_BASIC or TRANSACTION_VIEW_FULL")


# ---------------------------------------------------------------- accounts and commodities


def test_unknown_account(book: Book) -> None:
    missing = acct(BANK, "no-such-account")
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "10.00"), credit(missing, "10.00"))))
    assert r.info.reason == "UNKNOWN_ACCOUNT"
    v = r.violation("transactions[0].postings[1].account")
    assert v.reason == "UNKNOWN_ACCOUNT"
    assert missing in v.description and "does not exist" in v.description


def test_account_in_unknown_party(book: Book) -> None:
    missing = acct("parties/nobody", "cash")
    r = post_refused(book, post(tx(fresh_id(), debit(missing, "10.00"), credit(BANK_CASH, "10.00"))))
    assert r.violation("transactions[0].postings[0].account").reason == "UNKNOWN_ACCOUNT"


@pytest.mark.parametrize(
    "name",
    ["bank-hz/cash", "parties/bank-hz/cash", "parties/Bank HZ/accounts/cash", "parties/bank-hz/accounts/Cash", ""],
)
def test_malformed_account_name(book: Book, name: str) -> None:
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "10.00"), credit(name, "10.00"))))
    v = r.violation("transactions[0].postings[1].account")
    assert "is not an account name" in v.description
    assert "parties/{party}/accounts/{code}" in v.description


def test_commodity_mismatch(book: Book) -> None:
    # CNY on the option-unit account.
    r = post_refused(book, post(tx(fresh_id(), debit(INVEST_OPTIONS, "100.00"), credit(INVEST_CASH, "100.00"))))
    assert r.info.reason == "COMMODITY_MISMATCH"
    v = r.violation("transactions[0].postings[0].amount.commodity")
    assert v.reason == "COMMODITY_MISMATCH"
    assert "'CNY'" in v.description and OPTION in v.description and INVEST_OPTIONS in v.description


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(("value", "commodity"), [("0.00", "CNY"), ("0", "CNY"), ("-5.00", "CNY"), ("0", OPTION)])
def test_non_positive_amount(book: Book, value: str, commodity: str) -> None:
    if commodity == OPTION:
        postings = (debit(INVEST_OPTIONS, value, OPTION), credit(INVEST_OPTION_GRANTS, value, OPTION))
    else:
        postings = (debit(BANK_LOANS, value), credit(BANK_CASH, value))
    r = post_refused(book, post(tx(fresh_id(), *postings)))
    assert r.info.reason == "NON_POSITIVE_AMOUNT"
    assert r.fields == ["transactions[0].postings[0].amount.value", "transactions[0].postings[1].amount.value"]
    v = r.violation("transactions[0].postings[0].amount.value")
    assert v.reason == "NON_POSITIVE_AMOUNT"
    assert "greater than zero" in v.description and repr(value) in v.description
    assert "side" in v.description  # tells the caller how to express a direction


@pytest.mark.parametrize(
    ("value", "commodity", "places", "allowed"),
    [("1.001", "CNY", 3, 2), ("0.005", "CNY", 3, 2), ("1.5", OPTION, 1, 0), ("3.25", OPTION, 2, 0)],
)
def test_more_decimals_than_the_commodity_allows(
    book: Book, value: str, commodity: str, places: int, allowed: int
) -> None:
    if commodity == OPTION:
        postings = (debit(INVEST_OPTIONS, value, OPTION), credit(INVEST_OPTION_GRANTS, value, OPTION))
    else:
        postings = (debit(BANK_LOANS, value), credit(BANK_CASH, value))
    r = post_refused(book, post(tx(fresh_id(), *postings)))
    assert r.info.reason == "INVALID_AMOUNT"
    v = r.violation("transactions[0].postings[1].amount.value")
    assert v.reason == "INVALID_AMOUNT"
    assert f"has {places} decimal place" in v.description
    assert f"allows at most {allowed}" in v.description


def test_trailing_zeros_beyond_the_scale_are_not_excess_precision(book: Book) -> None:
    """ "1.000" CNY is exactly 1.00: refusing it would be pedantic, rounding it is not needed."""
    r = post_refused(
        book,
        post(tx(fresh_id(), debit(BANK_LOANS, "1.000"), credit(BANK_CASH, "1.00"), credit(BANK_CASH, "0.01"))),
    )
    assert r.info.reason == "UNBALANCED"  # parsed exactly: 1.00 against 1.01
    assert "credits exceed debits by 0.01 CNY" in r.violation("transactions[0].postings").description


@pytest.mark.parametrize(
    "value",
    ["abc", "1e3", "1,000.00", " 1.00", "1.00 ", "NaN", "Infinity", "0x10", "1.", ".5", "--1", "１.00", "", "1_000"],
)
def test_a_string_where_a_number_belongs(book: Book, value: str) -> None:
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, value))))
    assert r.info.reason == "INVALID_AMOUNT"
    v = r.violation("transactions[0].postings[1].amount.value")
    assert v.reason == "INVALID_AMOUNT"
    if value:
        assert repr(value) in v.description and "not a decimal number" in v.description
    else:
        assert "empty" in v.description


def test_amount_too_large(book: Book) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "99999999999999999999.00"), credit(BANK_CASH, "1.00")))
    )
    v = r.violation("transactions[0].postings[0].amount.value")
    assert v.reason == "INVALID_AMOUNT" and "too large" in v.description


# ---------------------------------------------------------------- batches


def test_empty_batch(book: Book) -> None:
    r = post_refused(book, post())
    assert r.fields == ["transactions"]
    assert "is empty" in r.message and "at least one transaction" in r.message


def test_batch_over_the_limit(book: Book) -> None:
    one = tx("x", debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"))
    request = pb.PostTransactionsRequest()
    for i in range(10_001):
        request.transactions.append(one)
        request.transactions[i].request_id = f"big-{i}"
    r = post_refused(book, request)
    assert r.info.reason == "BATCH_TOO_LARGE"
    v = r.violation("transactions")
    assert v.reason == "BATCH_TOO_LARGE"
    assert "10001 transactions" in v.description and "10000" in v.description and "split" in v.description


def test_duplicate_request_id_inside_one_batch(book: Book) -> None:
    same = fresh_id("dup")
    r = post_refused(
        book,
        post(
            tx(same, debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00")),
            tx(fresh_id(), debit(BANK_LOANS, "2.00"), credit(BANK_CASH, "2.00")),
            tx(same, debit(BANK_LOANS, "3.00"), credit(BANK_CASH, "3.00")),
        ),
    )
    v = r.violation("transactions[2].request_id")
    assert v.reason == "DUPLICATE_REQUEST_ID"
    assert "transactions[0]" in v.description
    assert r.info.reason == "DUPLICATE_REQUEST_ID"


def test_every_problem_of_a_batch_is_reported_at_once(book: Book) -> None:
    r = post_refused(
        book,
        post(
            tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00")),
            tx(fresh_id(), debit(BANK_LOANS, "1.001"), credit(BANK_CASH, "1.00")),
            tx("", debit(BANK_LOANS, "1.00"), credit(acct(BANK, "nope"), "1.00")),
        ),
    )
    assert r.fields == [
        "transactions[1].postings[0].amount.value",
        "transactions[2].request_id",
        "transactions[2].postings[1].account",
    ]
    assert "(and 2 more problems)" in r.message


# ---------------------------------------------------------------- must-not-go-negative


def test_overdraft_of_a_guarded_account(book: Book) -> None:
    # The investment arm holds 100,000.00 in cash; it tries to invest 150,000.00.
    request_id = fresh_id("invest")
    r = post_refused(
        book, post(tx(request_id, debit(INVEST_HOLDINGS, "150000.00"), credit(INVEST_CASH, "150000.00"))), PRECONDITION
    )
    assert r.info.reason == "INSUFFICIENT_FUNDS"
    assert r.info.metadata["account"] == INVEST_CASH
    assert r.info.metadata["request_id"] == request_id
    assert [(p.type, p.subject) for p in r.preconditions] == [("INSUFFICIENT_FUNDS", INVEST_CASH)]
    description = r.preconditions[0].description
    assert "must not go negative" in description
    assert "-50000.00 CNY" in description and "short by 50000.00 CNY" in description
    assert r.message.startswith(f"transactions[0] ({request_id})")


def test_overdraft_in_the_third_transaction_writes_nothing_of_the_batch(book: Book) -> None:
    ids = [fresh_id("step") for _ in range(3)]
    r = post_refused(
        book,
        post(
            tx(ids[0], debit(INVEST_HOLDINGS, "40000.00"), credit(INVEST_CASH, "40000.00")),
            tx(ids[1], debit(INVEST_HOLDINGS, "40000.00"), credit(INVEST_CASH, "40000.00")),
            tx(ids[2], debit(INVEST_HOLDINGS, "30000.00"), credit(INVEST_CASH, "30000.00")),
        ),
        PRECONDITION,
    )
    assert r.info.reason == "INSUFFICIENT_FUNDS"
    assert r.message.startswith(f"transactions[2] ({ids[2]})")
    assert "short by 10000.00 CNY" in r.preconditions[0].description
    # Nothing of the batch exists, not even the two transactions that were fine on their own.
    listed = book.stub.ListTransactions(pb.ListTransactionsRequest(account=INVEST_HOLDINGS))
    assert not {t.request_id for t in listed.transactions} & set(ids)


def test_overdraft_caused_by_a_hold(book: Book) -> None:
    # Bank cash: 700,000.00 posted, 600,000.00 held for a loan commitment: 100,000.00 available.
    balance = book.stub.GetBalance(pb.GetBalanceRequest(account=BANK_CASH)).balance
    assert (balance.balance.value, balance.held.value, balance.available.value) == (
        "700000.00",
        "600000.00",
        "100000.00",
    )
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "150000.00"), credit(BANK_CASH, "150000.00"))), PRECONDITION
    )
    assert r.info.reason == "INSUFFICIENT_FUNDS"
    description = r.preconditions[0].description
    assert "550000.00 CNY with 600000.00 held" in description  # the posted balance alone would be fine
    assert "short by 50000.00 CNY" in description


def test_a_hold_beyond_the_available_balance(book: Book) -> None:
    r = refuse(
        book,
        book.stub.CreateHold,
        pb.CreateHoldRequest(
            request_id=fresh_id("hold"),
            debit_account=BANK_LOANS,
            credit_account=BANK_CASH,
            amount=pb.Amount(commodity="CNY", value="100000.01"),
        ),
        PRECONDITION,
    )
    assert r.info.reason == "INSUFFICIENT_FUNDS"
    assert [(p.type, p.subject) for p in r.preconditions] == [("INSUFFICIENT_FUNDS", BANK_CASH)]
    assert "short by 0.01 CNY" in r.message


# ---------------------------------------------------------------- idempotency


def test_request_id_reused_with_a_different_payload(book: Book) -> None:
    original = book.seeds["seed-loan-acme"]
    changed = pb.TransactionInput()
    changed.CopyFrom(original)
    changed.postings[0].amount.value = changed.postings[1].amount.value = "200000.01"
    r = post_refused(book, post(changed), EXISTS)
    assert r.info.reason == "REQUEST_ID_REUSED"
    assert r.info.metadata["request_id"] == "seed-loan-acme"
    assert "'seed-loan-acme' was already used for a different request" in r.message
    assert "new request_id" in r.message


@pytest.mark.parametrize("tweak", ["none", "amount-format"])
def test_same_request_id_and_payload_returns_the_original(book: Book, tweak: str) -> None:
    original = book.posted["seed-fund-invest-arm"]
    again = pb.TransactionInput()
    again.CopyFrom(book.seeds["seed-fund-invest-arm"])
    if tweak == "amount-format":  # "100000.0" is the same amount as "100000.00"
        for posting in again.postings:
            posting.amount.value = "100000.0"
    with unchanged(book):
        response = book.stub.PostTransactions(post(again))
    (replayed,) = response.transactions
    assert replayed.name == original.name
    assert replayed.legs == original.legs
    assert [leg.party for leg in replayed.legs] == [BANK, INVEST]
    assert replayed.postings == original.postings


def test_reversal_request_id_reused_for_another_transaction(book: Book) -> None:
    r = refuse(
        book,
        book.stub.ReverseTransaction,
        pb.ReverseTransactionRequest(request_id="seed-pool-capital", name=book.posted["seed-loan-acme"].name),
        EXISTS,
    )
    assert r.info.reason == "REQUEST_ID_REUSED"
