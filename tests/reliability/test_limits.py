"""The documented limits (docs/operations.md, "Limits") are enforced with the documented statuses."""

from __future__ import annotations

from decimal import Decimal

import grpc
import pytest

from server.app import MAX_MESSAGE_BYTES, MAX_METADATA_BYTES
from tests.reliability.helpers import setup_book, transfer
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


def _reason(error: grpc.RpcError) -> str:
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def test_message_size_limit(server_address: str) -> None:
    with grpc.insecure_channel(server_address, options=[("grpc.max_send_message_length", -1)]) as channel:
        call = channel.unary_unary(
            "/toudai.v1.LedgerService/PostTransactions", request_serializer=None, response_deserializer=None
        )
        with pytest.raises(grpc.RpcError) as refused:
            call(b"\x0a" + b"\x00" * (MAX_MESSAGE_BYTES + 16), timeout=60)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_metadata_size_limit(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    for _ in range(5):  # the limit is exact (soft = hard), so every oversized call is refused
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListParties(pb.ListPartiesRequest(), metadata=[("x-padding", "x" * MAX_METADATA_BYTES)], timeout=10)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, refused.value.details()
    stub.ListParties(pb.ListPartiesRequest(), metadata=[("x-padding", "x" * 1024)], timeout=10)  # well within


def test_batch_and_page_limits(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    names = setup_book(stub, 2, Decimal("1000000.00"))
    too_many = [transfer(f"b-{i}", names[0], names[1], Decimal("0.01")) for i in range(10_001)]
    with pytest.raises(grpc.RpcError) as refused:
        stub.PostTransactions(pb.PostTransactionsRequest(transactions=too_many), timeout=60)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _reason(refused.value) == "BATCH_TOO_LARGE"
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=too_many[:1_100]), timeout=60)

    with pytest.raises(grpc.RpcError) as refused:
        stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=[names[0]] * 1_001), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    page = stub.ListTransactions(pb.ListTransactionsRequest(party="parties/bank", page_size=5_000), timeout=30)
    assert len(page.transactions) == 1_000 and page.next_page_token  # clamped to the maximum page size
    with pytest.raises(grpc.RpcError) as refused:
        stub.ListTransactions(pb.ListTransactionsRequest(party="parties/bank", page_size=-1), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    big = pb.TransactionInput(request_id="many-postings", value_date=too_many[0].value_date, description="x")
    for i in range(257):
        side = pb.SIDE_DEBIT if i % 2 == 0 else pb.SIDE_CREDIT
        big.postings.append(
            pb.Posting(account=names[i % 2], side=side, amount=pb.Amount(commodity="CNY", value="0.01"))
        )
    with pytest.raises(grpc.RpcError) as refused:
        stub.PostTransactions(pb.PostTransactionsRequest(transactions=[big]), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    tagged = transfer("meta", names[0], names[1], Decimal("0.01"))
    tagged.metadata.update({f"k{i}": "v" for i in range(33)})
    with pytest.raises(grpc.RpcError) as refused:
        stub.PostTransactions(pb.PostTransactionsRequest(transactions=[tagged]), timeout=30)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
