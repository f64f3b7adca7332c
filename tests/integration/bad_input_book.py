"""The shared book of the bad-input tests (test_bad_input*.py), the request builders and the checks.

One realistic 投贷联动 book per database: a bank sub-branch, the bank's investment arm and a government
risk pool, with CNY accounts (guarded cash accounts, due-to / due-from accounts between the books), an
option commodity of scale 0, posted transactions (so every chain is non-empty), a reversal, a pending
and a voided hold. Every case sends one bad request and checks four things: the exact status code (never
INTERNAL or UNKNOWN), a message a person can act on, the google.rpc details (BadRequest field paths,
PreconditionFailure, ErrorInfo reason), and that the database is exactly as it was (every table's rows,
every book's chain head, every running balance).

The book is built once per database and test module and shared: a refused call must leave it unchanged,
which is what each case checks before the next one runs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import pytest
import sqlalchemy as sa
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
