"""PostTransactions' views (AIP-157) over real gRPC on both databases: BASIC leaves out what the caller
sent (postings, description, metadata) and keeps where each transaction landed; the view never changes
what is posted or how a retry is recognised."""

from __future__ import annotations

import grpc
import pytest

from ledger.canonical import GENESIS_HASH
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

Stub = ledger_pb2_grpc.LedgerServiceStub


@pytest.fixture
def accounts(stub: Stub) -> tuple[str, str]:
    stub.CreateParty(
        pb.CreatePartyRequest(
            request_id="party-bank", party_id="bank-hz", display_name="Hangzhou", kind=pb.PARTY_KIND_BANK_BRANCH
        )
    )
    names = []
    for code, kind in (("cash", pb.ACCOUNT_TYPE_ASSET), ("loans", pb.ACCOUNT_TYPE_ASSET)):
        response = stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"acct-{code}",
                party="parties/bank-hz",
                code=code,
                display_name=code,
                type=kind,
                commodity="CNY",
            )
        )
        names.append(response.account.name)
    return names[0], names[1]


def transfer(request_id: str, cash: str, loans: str, value: str) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date={"year": 2026, "month": 11, "day": 2},
        description=f"Loan drawdown {request_id}",
        metadata={"deal": "D-7"},
        postings=[
            pb.Posting(account=loans, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=value)),
            pb.Posting(account=cash, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=value)),
        ],
    )


def test_basic_view_answers_names_dates_and_legs_only(stub: Stub, accounts: tuple[str, str]) -> None:
    cash, loans = accounts
    request = pb.PostTransactionsRequest(
        transactions=[transfer("draw-1", cash, loans, "100.00"), transfer("draw-2", cash, loans, "25.50")],
        view=pb.TRANSACTION_VIEW_BASIC,
    )
    response = stub.PostTransactions(request)

    assert [t.request_id for t in response.transactions] == ["draw-1", "draw-2"]
    first, second = response.transactions
    for tx in response.transactions:
        assert tx.name.startswith("transactions/")
        assert (tx.value_date.year, tx.value_date.month, tx.value_date.day) == (2026, 11, 2)
        assert tx.HasField("create_time")
        assert not tx.postings and not tx.description and not tx.metadata
    # The book's first two legs, chained: 1 then 2, the second's link is the first's hash.
    assert [(leg.party, leg.sequence) for leg in first.legs] == [("parties/bank-hz", 1)]
    assert [(leg.party, leg.sequence) for leg in second.legs] == [("parties/bank-hz", 2)]
    assert first.legs[0].hash != GENESIS_HASH and second.legs[0].hash != first.legs[0].hash
    # Balances are answered in every view: cash credited 125.50, loans debited 125.50 (both assets).
    assert {(b.account, b.balance.value) for b in response.balances} == {(cash, "-125.50"), (loans, "125.50")}

    # What was posted is complete: GetTransaction shows the postings the basic answer left out.
    stored = stub.GetTransaction(pb.GetTransactionRequest(name=second.name)).transaction
    assert stored.description == "Loan drawdown draw-2"
    assert dict(stored.metadata)["deal"] == "D-7"
    assert [(p.account, p.side, p.amount.value) for p in stored.postings] == [
        (loans, pb.SIDE_DEBIT, "25.50"),
        (cash, pb.SIDE_CREDIT, "25.50"),
    ]
    assert [(leg.sequence, leg.hash) for leg in stored.legs] == [(2, second.legs[0].hash)]


def test_the_view_does_not_change_how_a_retry_is_recognised(stub: Stub, accounts: tuple[str, str]) -> None:
    cash, loans = accounts
    full = stub.PostTransactions(pb.PostTransactionsRequest(transactions=[transfer("draw-1", cash, loans, "100.00")]))
    assert [p.amount.value for p in full.transactions[0].postings] == ["100.00", "100.00"]

    # The same request again, asking for the basic view: the original transaction, nothing posted twice.
    again = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[transfer("draw-1", cash, loans, "100.00")], view=pb.TRANSACTION_VIEW_BASIC
        )
    )
    assert again.transactions[0].name == full.transactions[0].name
    assert [(leg.sequence, leg.hash) for leg in again.transactions[0].legs] == [
        (leg.sequence, leg.hash) for leg in full.transactions[0].legs
    ]
    assert not again.transactions[0].postings
    assert {(b.account, b.balance.value) for b in again.balances} == {(cash, "-100.00"), (loans, "100.00")}

    # And a different payload under the same id is still refused, whatever the view.
    with pytest.raises(grpc.RpcError) as caught:
        stub.PostTransactions(
            pb.PostTransactionsRequest(
                transactions=[transfer("draw-1", cash, loans, "100.01")], view=pb.TRANSACTION_VIEW_BASIC
            )
        )
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_explicit_full_view_equals_the_default(stub: Stub, accounts: tuple[str, str]) -> None:
    cash, loans = accounts
    explicit = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[transfer("draw-1", cash, loans, "10.00")], view=pb.TRANSACTION_VIEW_FULL
        )
    )
    default = stub.GetTransaction(pb.GetTransactionRequest(name=explicit.transactions[0].name)).transaction
    assert explicit.transactions[0] == default
