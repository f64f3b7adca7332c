"""Prometheus metrics: served on their own port, counting calls, statuses, batches, rows and chain heads."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest

from ledger.store import Ledger
from server.app import create_server
from server.metrics import Metrics
from tests.reliability.helpers import setup_book, transfer
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc


@pytest.fixture
def metered(ledger: Ledger) -> Iterator[tuple[ledger_pb2_grpc.LedgerServiceStub, Metrics, int]]:
    metrics = Metrics(ledger, refresh_seconds=0.2)
    server, port = create_server(ledger, "127.0.0.1:0", metrics=metrics)
    server.start()
    metrics_port = metrics.start("127.0.0.1:0")
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield ledger_pb2_grpc.LedgerServiceStub(channel), metrics, metrics_port
    finally:
        channel.close()
        server.stop(0).wait()
        metrics.stop()


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        return str(reply.read().decode())


def _value(text: str, prefix: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert lines, f"no sample {prefix} in:\n{text}"
    return float(lines[0].rsplit(" ", 1)[1])


def test_metrics_endpoint_after_some_calls(metered: tuple[ledger_pb2_grpc.LedgerServiceStub, Metrics, int]) -> None:
    stub, metrics, port = metered
    names = setup_book(stub, 3, Decimal("100.00"))
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[transfer(f"m-{i}", names[0], names[1], Decimal("1.00")) for i in range(4)]
        )
    )
    with pytest.raises(grpc.RpcError):
        stub.GetParty(pb.GetPartyRequest(name="parties/nobody"))
    with pytest.raises(grpc.RpcError):
        stub.GetParty(pb.GetPartyRequest(name="not a name"))
    stub.BatchGetBalances(pb.BatchGetBalancesRequest(accounts=names))
    metrics.refresh_chain_heads()
    text = _scrape(port)
    post = 'method="/toudai.v1.LedgerService/PostTransactions"'
    assert _value(text, f'toudai_rpc_calls_total{{{post},status="OK"}}') == 2
    assert _value(text, 'toudai_rpc_calls_total{method="/toudai.v1.LedgerService/GetParty",status="NOT_FOUND"}') == 1
    get_party_refused = 'toudai_rpc_calls_total{method="/toudai.v1.LedgerService/GetParty",status="INVALID_ARGUMENT"}'
    assert _value(text, get_party_refused) == 1
    assert _value(text, f"toudai_rpc_duration_seconds_count{{{post}}}") == 2
    assert _value(text, f"toudai_rpc_batch_size_sum{{{post}}}") == 3 + 4  # funding batch of 3, then 4
    batch = 'toudai_rpc_batch_size_sum{method="/toudai.v1.LedgerService/BatchGetBalances"}'
    assert _value(text, batch) == 3
    assert _value(text, 'toudai_rows_written_total{kind="transactions"}') == 7
    assert _value(text, 'toudai_rows_written_total{kind="postings"}') == 14
    assert _value(text, 'toudai_chain_head_sequence{book="bank"}') == 7
    assert _value(text, 'toudai_db_pool_connections{engine="writer",state="checked_out"}') >= 0
    assert "toudai_db_pool_connections" in text and 'state="size"' in text
