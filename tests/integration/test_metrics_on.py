"""The service with metrics on (issue 15): every deal step answers OK and is counted as OK.

Before the fix, DisburseLoan, AccrueInterest, RecordRepayment, RecordDefault and WriteOff committed and
then answered UNKNOWN because the metrics wrapper called HasField on their string `transaction` field.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from ledger.store import Ledger
from server.app import create_server
from server.metrics import Metrics
from tests.conftest import LedgerStub
from tests.integration.deals_world import cny, create_parties, date, deal_terms
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc


@pytest.fixture
def metered(ledger: Ledger) -> Iterator[tuple[grpc.Channel, Metrics]]:
    metrics = Metrics(ledger)
    server, port = create_server(ledger, "127.0.0.1:0", metrics=metrics)
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel, metrics
    finally:
        server.stop(None).wait()


def test_every_deal_step_answers_ok_with_metrics_on(metered: tuple[grpc.Channel, Metrics]) -> None:
    channel, metrics = metered
    create_parties(LedgerStub(channel))
    deals = deals_pb2_grpc.DealServiceStub(channel)
    name = "deals/m1"
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="b", deal_id="m1", terms=deal_terms()))
    steps = {
        "DisburseLoan": lambda: deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=name)),
        "AccrueInterest": lambda: deals.AccrueInterest(
            dpb.AccrueInterestRequest(request_id="a", name=name, to_date=date("2025-04-03"))
        ),
        "RecordRepayment": lambda: deals.RecordRepayment(
            dpb.RecordRepaymentRequest(request_id="r", name=name, amount=cny("100.00"), value_date=date("2025-04-03"))
        ),
        "RecordDefault": lambda: deals.RecordDefault(
            dpb.RecordDefaultRequest(request_id="x", name=name, value_date=date("2025-04-10"), reason="r")
        ),
        "WriteOff": lambda: deals.WriteOff(
            dpb.WriteOffRequest(request_id="w", name=name, value_date=date("2025-04-11"))
        ),
    }
    for method, step in steps.items():
        step()  # raises on any non-OK answer
        step()  # and its retry
        value = metrics.registry.get_sample_value(
            "toudai_rpc_calls_total", {"method": f"/toudai.v1.DealService/{method}", "status": "OK"}
        )
        assert value == 2, method
