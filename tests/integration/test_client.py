"""ToudaiClient against a real server on SQLite and PostgreSQL: Decimal in, Decimal and Money out, typed errors."""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from moneyed import Money

from clients.client import ToudaiClient
from clients.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    InsufficientFundsError,
    InvalidArgumentError,
    NotFoundError,
    ToudaiError,
    UnavailableError,
)
from clients.inputs import PostingInput, TransactionInput, credit, debit
from clients.values import AccountType, HoldState, PartyKind, Side
from ledger.store import Ledger
from server.app import create_server
from server.auth import Authenticator, AuthInterceptor, KeySet
from server.interceptors import ErrorAndLogInterceptor
from server.ledger_servicer import LedgerServicer
from toudai.v1 import ledger_pb2_grpc


@pytest.fixture
def client(server_address: str) -> Iterator[ToudaiClient]:
    with ToudaiClient(server_address, timeout=10.0) as c:
        yield c


@pytest.fixture
def bank(client: ToudaiClient) -> str:
    """A bank branch with cash (must not go negative), deposits and loans, all in CNY."""
    client.create_party("bank-hz", display_name="杭州科技支行", kind=PartyKind.BANK_BRANCH)
    client.create_account("bank-hz", "cash", account_type=AccountType.ASSET, commodity="CNY", must_not_go_negative=True)
    client.create_account("bank-hz", "deposits", account_type="liability", commodity="CNY")
    client.create_account("parties/bank-hz", "loans", account_type=AccountType.ASSET, commodity="CNY")
    return "bank-hz"


def deposit(client: ToudaiClient, amount: str, request_id: str | None = None) -> None:
    client.post_transactions(
        [
            TransactionInput(
                postings=[debit("bank-hz/cash", amount), credit("bank-hz/deposits", amount)], request_id=request_id
            )
        ]
    )


def test_parties_and_accounts_round_trip(client: ToudaiClient, bank: str) -> None:
    party = client.get_party(bank)
    assert party.name == "parties/bank-hz"
    assert party.display_name == "杭州科技支行"
    assert party.kind is PartyKind.BANK_BRANCH
    account = client.get_account("bank-hz/cash")
    assert account.name == "parties/bank-hz/accounts/cash"
    assert account.type is AccountType.ASSET
    assert account.commodity == "CNY"
    assert account.must_not_go_negative
    assert [a.code for a in client.list_accounts(party=bank, account_type="asset")] == ["cash", "loans"]
    assert "CNY" in {c.code for c in client.list_commodities()}


def test_post_with_decimal_returns_decimal_and_money_balances(client: ToudaiClient, bank: str) -> None:
    result = client.post_transactions(
        [
            TransactionInput(
                postings=[
                    PostingInput("bank-hz/cash", Side.DEBIT, Decimal("100.10")),
                    PostingInput("bank-hz/deposits", "credit", Decimal("100.10"), commodity="CNY"),
                ],
                request_id="dep-001",
                value_date=dt.date(2026, 11, 26),
                description="Customer deposit",
                metadata={"deal": "D-1"},
            )
        ]
    )
    (transaction,) = result.transactions
    assert transaction.name.startswith("transactions/")
    assert transaction.request_id == "dep-001"
    assert transaction.value_date == dt.date(2026, 11, 26)
    # the ledger records who posted it (ledger.actor): here the tokenless development administrator
    assert transaction.metadata == {"deal": "D-1", "toudai.principal": "dev-admin", "toudai.role": "admin"}
    assert {(p.account, p.side, p.amount, p.commodity) for p in transaction.postings} == {
        ("parties/bank-hz/accounts/cash", Side.DEBIT, Decimal("100.10"), "CNY"),
        ("parties/bank-hz/accounts/deposits", Side.CREDIT, Decimal("100.10"), "CNY"),
    }
    balances = {b.account: b for b in result.balances}
    cash = balances["parties/bank-hz/accounts/cash"]
    assert cash.balance == Decimal("100.10")
    assert isinstance(cash.balance, Decimal)
    assert cash.money == Money("100.10", "CNY")
    assert balances["parties/bank-hz/accounts/deposits"].balance == Decimal("100.10")

    transfer = client.post_transfer("bank-hz/cash", "bank-hz/loans", 40, description="Loan drawdown")
    moved = {b.account: b.balance for b in transfer.balances}
    assert moved == {
        "parties/bank-hz/accounts/cash": Decimal("60.10"),
        "parties/bank-hz/accounts/loans": Decimal("40.00"),
    }
    assert client.get_balance("bank-hz/loans").money == Money("40.00", "CNY")
    assert client.get_balance("bank-hz/loans", as_of=dt.date(2000, 1, 1)).balance == 0
    assert [b.balance for b in client.get_balances(["bank-hz/cash", "parties/bank-hz/accounts/deposits"])] == [
        Decimal("60.10"),
        Decimal("100.10"),
    ]
    assert client.get_transaction(transaction.name) == transaction


def test_retry_with_the_same_request_id_does_not_double(client: ToudaiClient, bank: str) -> None:
    first = client.post_transfer("bank-hz/deposits", "bank-hz/cash", "25.00", request_id="same-id")
    again = client.post_transfer("bank-hz/deposits", "bank-hz/cash", "25.00", request_id="same-id")
    assert again.transactions[0].name == first.transactions[0].name
    assert not first.is_replay(first.transactions[0]) and again.is_replay(again.transactions[0])
    assert client.get_balance("bank-hz/cash").balance == Decimal("25.00")
    assert len(list(client.list_transactions(party=bank))) == 1
    with pytest.raises(AlreadyExistsError) as refused:
        client.post_transfer("bank-hz/deposits", "bank-hz/cash", "26.00", request_id="same-id")
    assert refused.value.code is grpc.StatusCode.ALREADY_EXISTS
    assert client.get_balance("bank-hz/cash").balance == Decimal("25.00")


def test_basic_view_returns_names_and_legs_without_the_postings(client: ToudaiClient, bank: str) -> None:
    batch = [
        TransactionInput(
            postings=[debit("bank-hz/cash", amount), credit("bank-hz/deposits", amount)],
            request_id=f"bulk-{i}",
            description="Bulk deposit",
        )
        for i, amount in enumerate(("10.00", "2.50", "0.01"))
    ]
    result = client.post_transactions(batch, view="basic")
    assert [t.request_id for t in result.transactions] == ["bulk-0", "bulk-1", "bulk-2"]
    assert [t.legs[0].sequence for t in result.transactions] == [1, 2, 3]
    assert all(not t.postings and not t.description for t in result.transactions)
    # 10.00 + 2.50 + 0.01 in each account.
    assert {b.account: b.balance for b in result.balances} == {
        "parties/bank-hz/accounts/cash": Decimal("12.51"),
        "parties/bank-hz/accounts/deposits": Decimal("12.51"),
    }
    stored = client.get_transaction(result.transactions[1].name)
    assert stored.description == "Bulk deposit"
    assert {p.amount for p in stored.postings} == {Decimal("2.50")}
    with pytest.raises(ValueError):
        client.post_transactions(batch, view="summary")


def test_excess_precision_raises_invalid_argument_with_the_field_path(client: ToudaiClient, bank: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        client.post_transactions(
            [TransactionInput(postings=[debit("bank-hz/cash", "1.001"), credit("bank-hz/deposits", "1.001")])]
        )
    error = refused.value
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    fields = [field for field, _ in error.field_violations]
    assert "transactions[0].postings[0].amount.value" in fields
    assert error.reason
    assert client.get_balance("bank-hz/cash").balance == 0


def test_overdraft_raises_insufficient_funds(client: ToudaiClient, bank: str) -> None:
    deposit(client, "10.00")
    with pytest.raises(InsufficientFundsError) as refused:
        client.post_transfer("bank-hz/cash", "bank-hz/loans", "10.01")
    error = refused.value
    assert isinstance(error, FailedPreconditionError)
    assert error.reason == "INSUFFICIENT_FUNDS"
    assert error.precondition_violations
    assert any("cash" in subject for _, subject, _ in error.precondition_violations)
    assert client.get_balance("bank-hz/cash").balance == Decimal("10.00")


def test_float_input_is_refused_before_anything_is_sent(client: ToudaiClient, bank: str) -> None:
    with pytest.raises(TypeError, match="float"):
        client.post_transfer("bank-hz/cash", "bank-hz/loans", 0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        debit("bank-hz/cash", 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        client.create_hold("bank-hz/loans", "bank-hz/cash", 2.0)  # type: ignore[arg-type]


def test_unknown_names_raise_not_found(client: ToudaiClient, bank: str) -> None:
    with pytest.raises(NotFoundError):
        client.get_account("bank-hz/nope")
    with pytest.raises(NotFoundError):
        client.get_transaction(str(uuid.uuid4()))


def test_list_iterators_page_through_more_than_one_page(client: ToudaiClient, bank: str) -> None:
    for i in range(7):
        client.create_party(f"p-{i:02d}", display_name=f"Party {i}", kind="borrower")
    parties = [p.party_id for p in client.list_parties(page_size=3)]
    assert parties == sorted(["bank-hz", *(f"p-{i:02d}" for i in range(7))])
    for i in range(5):
        client.create_account("bank-hz", f"sub-{i}", account_type="asset", commodity="CNY")
    assert len(list(client.list_accounts(party="bank-hz", page_size=2))) == 8
    client.post_transactions(
        [
            TransactionInput(
                postings=[debit("bank-hz/cash", "1.00"), credit("bank-hz/deposits", "1.00")],
                metadata={"batch": "b1" if i % 2 else "b2"},
            )
            for i in range(7)
        ]
    )
    transactions = list(client.list_transactions(account="bank-hz/cash", page_size=2))
    assert len(transactions) == 7
    assert len({tx.name for tx in transactions}) == 7
    assert len(list(client.list_transactions(metadata_key="batch", metadata_value="b1", page_size=2))) == 3


def test_reverse_restores_balances(client: ToudaiClient, bank: str) -> None:
    posted = client.post_transfer("bank-hz/deposits", "bank-hz/cash", "30.00")
    reversal = client.reverse_transaction(posted.transactions[0].name, description="Posted in error")
    assert reversal.transaction.reverses == posted.transactions[0].name
    assert {b.account: b.balance for b in reversal.balances}["parties/bank-hz/accounts/cash"] == 0
    assert client.get_transaction(posted.transactions[0].name).reversed_by == reversal.transaction.name


def test_hold_capture_round_trip(client: ToudaiClient, bank: str) -> None:
    deposit(client, "100.00")
    hold = client.create_hold("bank-hz/loans", "bank-hz/cash", "60.00", expires_in=dt.timedelta(hours=1))
    assert hold.state is HoldState.PENDING
    assert hold.money == Money("60.00", "CNY")
    cash = client.get_balance("bank-hz/cash")
    assert (cash.balance, cash.held, cash.available) == (Decimal("100.00"), Decimal("60.00"), Decimal("40.00"))
    with pytest.raises(InsufficientFundsError):
        client.post_transfer("bank-hz/cash", "bank-hz/loans", "40.01")
    captured = client.capture_hold(hold.name, amount="50.00")
    assert captured.hold.state is HoldState.CAPTURED
    assert captured.hold.captured == Decimal("50.00")
    assert captured.hold.capture_transaction == captured.transaction.name
    cash = client.get_balance("bank-hz/cash")
    assert (cash.balance, cash.held, cash.available) == (Decimal("50.00"), Decimal("0.00"), Decimal("50.00"))
    assert client.get_hold(hold.name) == captured.hold

    second = client.create_hold("bank-hz/loans", "bank-hz/cash", "10.00")
    assert client.void_hold(second.name).state is HoldState.VOIDED
    assert client.get_balance("bank-hz/cash").held == 0


def test_unreachable_server_raises_unavailable_after_retries() -> None:
    with ToudaiClient("127.0.0.1:9", timeout=2.0, retries=1) as client, pytest.raises(UnavailableError):
        client.get_party("bank-hz")


def test_token_is_sent_and_verified(ledger: Ledger) -> None:
    from server.auth import Role, load_key_set, mint_token

    secret = b"client-test-secret-0123456789-abcdefghijklmnop"
    with tempfile.TemporaryDirectory() as keys:
        (Path(keys) / "k1.secret").write_bytes(secret)
        authenticator = Authenticator(load_key_set([f"{keys}/k1.secret"]))
    server, port = create_server(ledger, "127.0.0.1:0", authenticator=authenticator)
    server.start()
    try:
        token = mint_token(role=Role.ADMIN, subject="ops", signing_key=secret, kid="k1", ttl=dt.timedelta(minutes=5))
        with ToudaiClient(f"127.0.0.1:{port}", token=token) as client:
            assert client.create_party("bank-hz", display_name="Branch", kind="bank_branch").party_id == "bank-hz"
        with ToudaiClient(f"127.0.0.1:{port}", token="dev-token", retries=0) as client:
            with pytest.raises(ToudaiError) as refused:
                client.get_party("bank-hz")
            assert refused.value.code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop(0).wait()


class LoseFirstPostResponse(grpc.ServerInterceptor):
    """Lets the first PostTransactions commit, then answers UNAVAILABLE as if the connection had dropped."""

    def __init__(self) -> None:
        self.seen_request_ids: list[list[str]] = []

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Any],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or not handler_call_details.method.endswith("/PostTransactions"):
            return handler
        behaviour = handler.unary_unary

        def wrapped(request: Any, context: grpc.ServicerContext) -> Any:
            response = behaviour(request, context)
            self.seen_request_ids.append([tx.request_id for tx in request.transactions])
            if len(self.seen_request_ids) == 1:
                context.abort(grpc.StatusCode.UNAVAILABLE, "connection lost after commit (simulated)")
            return response

        return grpc.unary_unary_rpc_method_handler(
            wrapped, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )


def test_a_lost_response_is_retried_with_the_same_generated_request_id(ledger: Ledger) -> None:
    lossy = LoseFirstPostResponse()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[ErrorAndLogInterceptor(), AuthInterceptor(Authenticator(KeySet(), development=True)), lossy],
    )
    ledger_pb2_grpc.add_LedgerServiceServicer_to_server(LedgerServicer(ledger), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with ToudaiClient(f"127.0.0.1:{port}", retries=2) as client:
            client.create_party("bank-hz", display_name="Branch", kind="bank_branch")
            client.create_account("bank-hz", "cash", account_type="asset", commodity="CNY")
            client.create_account("bank-hz", "deposits", account_type="liability", commodity="CNY")
            result = client.post_transfer("bank-hz/deposits", "bank-hz/cash", "75.00")
            assert result.transactions[0].request_id == lossy.seen_request_ids[0][0]
            assert len(lossy.seen_request_ids) == 2
            assert lossy.seen_request_ids[0] == lossy.seen_request_ids[1]
            assert client.get_balance("bank-hz/cash").balance == Decimal("75.00")
            assert len(list(client.list_transactions(party="bank-hz"))) == 1
    finally:
        server.stop(0).wait()
