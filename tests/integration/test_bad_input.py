"""Bad input gets a clear error and changes nothing (issue 3), over real gRPC on SQLite and PostgreSQL.

One realistic 投贷联动 book per database: a bank sub-branch, the bank's investment arm and a government
risk pool, with CNY accounts (guarded cash accounts, due-to / due-from accounts between the books), an
option commodity of scale 0, posted transactions (so every chain is non-empty), a reversal, a pending
and a voided hold. Every case sends one bad request and checks four things: the exact status code (never
INTERNAL or UNKNOWN), a message a person can act on, the google.rpc details (BadRequest field paths,
PreconditionFailure, ErrorInfo reason), and that the database is exactly as it was (every table's rows,
every book's chain head, every running balance).

The book is built once per database and shared: a refused call must leave it unchanged, which is what
each case checks before the next one runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_status import rpc_status

from ledger import db
from ledger.store import Ledger
from server import database
from server.app import create_server
from tests.integration.dbstate import assert_unchanged, snapshot
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
EXISTS = grpc.StatusCode.ALREADY_EXISTS
PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

BANK = "parties/bank-hz"
INVEST = "parties/invest-arm"
POOL = "parties/risk-pool"
OPTION = "OPT-ACME-A"


def acct(party: str, code: str) -> str:
    return f"{party}/accounts/{code}"


BANK_CASH = acct(BANK, "cash")
BANK_CAPITAL = acct(BANK, "capital")
BANK_LOANS = acct(BANK, "loans")
BANK_DUE_FROM_INVEST = acct(BANK, "due-from-invest-arm")
BANK_DUE_TO_POOL = acct(BANK, "due-to-risk-pool")
BANK_FEES = acct(BANK, "fee-expense")
INVEST_CASH = acct(INVEST, "cash")
INVEST_DUE_TO_BANK = acct(INVEST, "due-to-bank-hz")
INVEST_HOLDINGS = acct(INVEST, "equity-investments")
INVEST_OPTIONS = acct(INVEST, "options")
INVEST_OPTION_GRANTS = acct(INVEST, "option-grants")
POOL_CASH = acct(POOL, "cash")
POOL_CAPITAL = acct(POOL, "capital")
POOL_DUE_FROM_BANK = acct(POOL, "due-from-bank-hz")

SEED_DATE = dt.date(2026, 11, 20)
TODAY = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


# ---------------------------------------------------------------- request builders


def date(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def debit(account: str, value: str, commodity: str = "CNY") -> pb.Posting:
    return pb.Posting(account=account, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity=commodity, value=value))


def credit(account: str, value: str, commodity: str = "CNY") -> pb.Posting:
    return pb.Posting(account=account, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity=commodity, value=value))


def tx(
    request_id: str,
    *postings: pb.Posting,
    value_date: date_pb2.Date | None = None,
    description: str = "",
    metadata: dict[str, str] | None = None,
) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date=value_date or date(SEED_DATE),
        description=description,
        metadata=metadata or {},
        postings=postings,
    )


def post(*transactions: pb.TransactionInput) -> pb.PostTransactionsRequest:
    return pb.PostTransactionsRequest(transactions=transactions)


def fresh_id(prefix: str = "bad") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------- the shared book


@dataclass
class Book:
    """A running server over a populated database, and the names of what the set-up created."""

    stub: ledger_pb2_grpc.LedgerServiceStub
    engine: sa.Engine
    seeds: dict[str, pb.TransactionInput] = field(default_factory=dict)
    posted: dict[str, pb.Transaction] = field(default_factory=dict)
    reversal: pb.Transaction | None = None
    pending_hold: pb.Hold | None = None
    voided_hold: pb.Hold | None = None


def _create_database(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad-input')}/toudai.db"
        engines = db.create_engines(url)
        database.upgrade(engines.writer)
        engines.dispose()
        return url
    admin_url = str(request.getfixturevalue("postgres_admin_url"))
    template = str(request.getfixturevalue("postgres_template"))
    name = f"toudai_bad_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    request.addfinalizer(lambda: _drop_database(admin_url, name))
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def book(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    url = _create_database(request, request.param, tmp_path_factory)
    engines = db.create_engines(url)
    server, port = create_server(Ledger(engines), "127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=10)
            book = Book(ledger_pb2_grpc.LedgerServiceStub(channel), engines.reader)
            _populate(book)
            yield book
    finally:
        server.stop(0).wait()
        engines.dispose()


def _populate(book: Book) -> None:
    stub = book.stub
    for party_id, display_name, kind in (
        ("bank-hz", "杭州科技支行", pb.PARTY_KIND_BANK_BRANCH),
        ("invest-arm", "投资子公司", pb.PARTY_KIND_INVESTMENT_ARM),
        ("risk-pool", "科技信贷风险补偿资金池", pb.PARTY_KIND_RISK_POOL),
    ):
        stub.CreateParty(
            pb.CreatePartyRequest(
                request_id=f"party-{party_id}", party_id=party_id, display_name=display_name, kind=kind
            )
        )
    stub.CreateCommodity(
        pb.CreateCommodityRequest(
            request_id="commodity-opt-acme-a",
            code=OPTION,
            kind=pb.COMMODITY_KIND_OPTION,
            scale=0,
            display_name="ACME Series A option units",
        )
    )
    accounts = [
        (BANK_CASH, pb.ACCOUNT_TYPE_ASSET, "CNY", True),
        (BANK_CAPITAL, pb.ACCOUNT_TYPE_EQUITY, "CNY", False),
        (BANK_LOANS, pb.ACCOUNT_TYPE_ASSET, "CNY", False),
        (BANK_DUE_FROM_INVEST, pb.ACCOUNT_TYPE_ASSET, "CNY", False),
        (BANK_DUE_TO_POOL, pb.ACCOUNT_TYPE_LIABILITY, "CNY", False),
        (BANK_FEES, pb.ACCOUNT_TYPE_EXPENSE, "CNY", False),
        (INVEST_CASH, pb.ACCOUNT_TYPE_ASSET, "CNY", True),
        (INVEST_DUE_TO_BANK, pb.ACCOUNT_TYPE_LIABILITY, "CNY", False),
        (INVEST_HOLDINGS, pb.ACCOUNT_TYPE_ASSET, "CNY", False),
        (INVEST_OPTIONS, pb.ACCOUNT_TYPE_ASSET, OPTION, True),
        (INVEST_OPTION_GRANTS, pb.ACCOUNT_TYPE_EQUITY, OPTION, False),
        (POOL_CASH, pb.ACCOUNT_TYPE_ASSET, "CNY", True),
        (POOL_CAPITAL, pb.ACCOUNT_TYPE_EQUITY, "CNY", False),
        (POOL_DUE_FROM_BANK, pb.ACCOUNT_TYPE_ASSET, "CNY", False),
    ]
    for name, account_type, commodity, guarded in accounts:
        party, code = name.split("/accounts/")
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"account-{name}",
                party=party,
                code=code,
                display_name=code.replace("-", " ").title(),
                type=account_type,
                commodity=commodity,
                must_not_go_negative=guarded,
            )
        )
    seeds = [
        tx("seed-bank-capital", debit(BANK_CASH, "1000000.00"), credit(BANK_CAPITAL, "1000000.00")),
        tx("seed-pool-capital", debit(POOL_CASH, "500000.00"), credit(POOL_CAPITAL, "500000.00")),
        tx(
            "seed-loan-acme",
            debit(BANK_LOANS, "200000.00"),
            credit(BANK_CASH, "200000.00"),
            description="科技贷 to ACME",
            metadata={"deal": "acme-2026-01"},
        ),
        tx(
            "seed-fund-invest-arm",
            debit(BANK_DUE_FROM_INVEST, "100000.00"),
            credit(BANK_CASH, "100000.00"),
            debit(INVEST_CASH, "100000.00"),
            credit(INVEST_DUE_TO_BANK, "100000.00"),
            description="Bank funds its investment arm",
            metadata={"deal": "acme-2026-01"},
        ),
        tx("seed-option-grant", debit(INVEST_OPTIONS, "10000", OPTION), credit(INVEST_OPTION_GRANTS, "10000", OPTION)),
        tx("seed-fee", debit(BANK_FEES, "500.00"), credit(BANK_CASH, "500.00")),
    ]
    response = stub.PostTransactions(post(*seeds))
    book.seeds = {s.request_id: s for s in seeds}
    book.posted = {t.request_id: t for t in response.transactions}
    book.reversal = stub.ReverseTransaction(
        pb.ReverseTransactionRequest(request_id="seed-fee-reversal", name=book.posted["seed-fee"].name)
    ).transaction
    # Bank cash: 1,000,000 - 200,000 - 100,000 = 700,000.00; a 600,000.00 loan commitment is held against it.
    book.pending_hold = stub.CreateHold(
        pb.CreateHoldRequest(
            request_id="hold-commitment-acme",
            debit_account=BANK_LOANS,
            credit_account=BANK_CASH,
            amount=pb.Amount(commodity="CNY", value="600000.00"),
            description="Loan commitment ACME tranche 2",
        )
    ).hold
    voided = stub.CreateHold(
        pb.CreateHoldRequest(
            request_id="hold-cancelled",
            debit_account=BANK_LOANS,
            credit_account=BANK_CASH,
            amount=pb.Amount(commodity="CNY", value="1000.00"),
        )
    ).hold
    book.voided_hold = stub.VoidHold(pb.VoidHoldRequest(request_id="void-cancelled", name=voided.name)).hold
    heads = dict(snapshot(book.engine).heads)
    assert all(seq > 0 for seq, _ in heads.values()), heads


# ---------------------------------------------------------------- the checks


@dataclass
class Refusal:
    """A refused call, decoded."""

    code: grpc.StatusCode
    message: str
    field_violations: list[error_details_pb2.BadRequest.FieldViolation]
    preconditions: list[error_details_pb2.PreconditionFailure.Violation]
    info: error_details_pb2.ErrorInfo

    @property
    def fields(self) -> list[str]:
        return [v.field for v in self.field_violations]

    def violation(self, field_path: str) -> error_details_pb2.BadRequest.FieldViolation:
        found = [v for v in self.field_violations if v.field == field_path]
        assert found, f"no violation of {field_path!r}; got {self.fields}"
        return found[0]


@contextmanager
def unchanged(book: Book) -> Iterator[None]:
    """The database must be exactly as it was when the block ends."""
    before = snapshot(book.engine)
    yield
    assert_unchanged(before, snapshot(book.engine))


def refuse(book: Book, call: Callable[[Any], Any], request: Any, code: grpc.StatusCode) -> Refusal:
    """Send `request`, expect it refused with `code` and rich details, and the database untouched."""
    with unchanged(book), pytest.raises(grpc.RpcError) as caught:
        call(request)
    error: Any = caught.value
    assert error.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), error.details()
    assert error.code() == code, f"{error.code()}: {error.details()}"
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status details"
    field_violations: list[error_details_pb2.BadRequest.FieldViolation] = []
    preconditions: list[error_details_pb2.PreconditionFailure.Violation] = []
    infos: list[error_details_pb2.ErrorInfo] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            field_violations.extend(bad_request.field_violations)
        elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
            failure = error_details_pb2.PreconditionFailure()
            detail.Unpack(failure)
            preconditions.extend(failure.violations)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
    assert len(infos) == 1, "exactly one ErrorInfo expected"
    assert infos[0].domain == "toudai.ledger"
    assert infos[0].reason and infos[0].reason.isupper()
    if code == INVALID:
        assert field_violations, "INVALID_ARGUMENT must name the bad fields (google.rpc.BadRequest)"
        for v in field_violations:
            assert v.field and v.description
    message = error.details()
    assert message and len(message) > 15, f"unhelpful message {message!r}"
    return Refusal(error.code(), message, field_violations, preconditions, infos[0])


def post_refused(book: Book, request: pb.PostTransactionsRequest, code: grpc.StatusCode = INVALID) -> Refusal:
    return refuse(book, book.stub.PostTransactions, request, code)


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


def test_missing_value_date(book: Book) -> None:
    request = post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00")))
    request.transactions[0].ClearField("value_date")
    r = post_refused(book, request)
    assert "is required" in r.violation("transactions[0].value_date").description


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
