"""Metrics on, every service: each call answers as it would without them, and /metrics counts what clients saw.

A server made as `toudai serve --metrics-listen` makes it (server.app: `Metrics(ledger)`, its interceptor
outermost, `/metrics` over HTTP on a port of its own). A client interceptor records the status of every
unary call the test makes (the settlement world's set-up included); the counts scraped from /metrics over
HTTP must equal them exactly, per method and status. The slice: ledger post and balance; deal booking,
disbursement, accrual, repayment, default and write-off; an exercise request; an option price; a trial
balance; plus an export stream. Then faults: a servicer that raises (INTERNAL, by the error interceptor), a
stream that raises half-way (UNKNOWN: grpc's answer to an exception nothing translated), and metrics
bookkeeping that raises (the call still answers OK).
"""

from __future__ import annotations

import collections
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ledger.store import Ledger
from server import metrics as metrics_module
from server.app import create_server
from server.audit_servicer import AuditServicer
from server.ledger_servicer import LedgerServicer
from server.metrics import Metrics
from tests.conftest import LedgerStub
from tests.integration.settlement_world import ARM, World, acct, cny, date, deal_terms, option_terms
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, deals_pb2_grpc, valuation_pb2, valuation_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb

CODE = grpc.StatusCode
THIRD = "deals/hz-third"


class _Outcomes(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Records (method, status name) of every unary call on the channel, as the client saw it."""

    def __init__(self) -> None:
        self.seen: collections.Counter[tuple[str, str]] = collections.Counter()

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        self.seen[(details.method, outcome.code().name)] += 1
        return outcome


@pytest.fixture
def metered(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[grpc.Channel, _Outcomes, str]]:
    """A metered server with two planted faults, a recording channel, and the /metrics URL."""

    def broken_commodities(self: Any, request: Any, context: Any) -> Any:
        raise RuntimeError("planted: ListCommodities fails")

    original_export = AuditServicer.ExportJournal

    def breaking_export(self: Any, request: Any, context: Any) -> Iterator[Any]:
        if request.to_sequence != 1:  # only the planted request breaks
            yield from original_export(self, request, context)
            return
        yield apb.ExportJournalResponse()
        raise RuntimeError("planted: the export stream breaks after its first message")

    monkeypatch.setattr(LedgerServicer, "ListCommodities", broken_commodities)
    monkeypatch.setattr(AuditServicer, "ExportJournal", breaking_export)
    metrics = Metrics(ledger)
    server, port = create_server(ledger, "127.0.0.1:0", metrics=metrics)
    server.start()
    http_port = metrics.start("127.0.0.1:0")
    outcomes = _Outcomes()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as plain:
            yield grpc.intercept_channel(plain, outcomes), outcomes, f"http://127.0.0.1:{http_port}/metrics"
    finally:
        metrics.stop()
        server.stop(None).wait()


def scraped_calls(url: str) -> dict[tuple[str, str], float]:
    """toudai_rpc_calls_total by (method, status), read over HTTP in the Prometheus text format."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    counts: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "toudai_rpc_calls_total":
                counts[(sample.labels["method"], sample.labels["status"])] = sample.value
    return counts


def test_every_service_answers_ok_and_is_counted_as_clients_saw_it(
    metered: tuple[grpc.Channel, _Outcomes, str], ledger: Ledger
) -> None:
    channel, outcomes, url = metered
    stub = LedgerStub(channel)
    world = World(channel, stub, ledger).build()  # parties, agreements, accounts, deals, a default, a round
    deals = deals_pb2_grpc.DealServiceStub(channel)
    valuation = valuation_pb2_grpc.ValuationServiceStub(channel)
    audit = audit_pb2_grpc.AuditServiceStub(channel)

    # LedgerService: a posting and a balance.
    posted = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="metered-post",
                    value_date=date("2026-02-02"),
                    postings=[
                        pb.Posting(
                            account=acct(ARM, "cash"),
                            side=pb.SIDE_DEBIT,
                            amount=pb.Amount(commodity="CNY", value="1.00"),
                        ),
                        pb.Posting(
                            account=acct(ARM, "capital"),
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="1.00"),
                        ),
                    ],
                )
            ]
        )
    )
    assert len(posted.transactions) == 1
    assert stub.GetBalance(pb.GetBalanceRequest(account=acct(ARM, "cash"))).balance.balance.value == "5000001.00"

    # DealService: every step of a third deal (the five whose `transaction` is a string field among them).
    terms = deal_terms("1000000.00", "2026-03-02", "2027-03-02", option_terms(), "100000.00")
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-third", deal_id="hz-third", terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-third", name=THIRD))
    deals.AccrueInterest(dpb.AccrueInterestRequest(request_id="accrue-third", name=THIRD, to_date=date("2026-04-02")))
    deals.RecordRepayment(
        dpb.RecordRepaymentRequest(
            request_id="repay-third", name=THIRD, amount=cny("1000.00"), value_date=date("2026-04-02")
        )
    )
    deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default-third", name=THIRD, value_date=date("2026-04-03"), reason="r")
    )
    deals.WriteOff(dpb.WriteOffRequest(request_id="writeoff-third", name=THIRD, value_date=date("2026-04-04")))

    # SettlementService, ValuationService, AuditService.
    assert world.request(1_000).state
    priced = valuation.PriceOption(
        valuation_pb2.PriceOptionRequest(
            model=valuation_pb2.PRICING_MODEL_BSM, spot="42", strike="40", rate="0.1", volatility="0.2", years="0.5"
        )
    )
    assert priced.engine == "bsm"
    assert audit.TrialBalance(apb.TrialBalanceRequest()).balanced
    exported = list(audit.ExportJournal(apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_JSONL)))
    assert exported

    calls = dict(outcomes.seen)
    assert {status for _, status in calls} == {"OK"}, calls  # with metrics on, every call of the slice is OK
    for method in (
        "LedgerService/PostTransactions",
        "LedgerService/GetBalance",
        "DealService/BookLinkedDeal",
        "DealService/DisburseLoan",
        "DealService/AccrueInterest",
        "DealService/RecordRepayment",
        "DealService/RecordDefault",
        "DealService/WriteOff",
        "SettlementService/RequestExercise",
        "ValuationService/PriceOption",
        "AuditService/TrialBalance",
    ):
        assert calls.get((f"/toudai.v1.{method}", "OK"), 0) >= 1, method

    # Faults: an unhandled servicer error (INTERNAL) and a stream that breaks (UNKNOWN); a refusal counted as such.
    with pytest.raises(grpc.RpcError) as internal:
        stub.ListCommodities(pb.ListCommoditiesRequest())
    assert internal.value.code() == CODE.INTERNAL
    with pytest.raises(grpc.RpcError) as invalid:
        stub.GetBalance(pb.GetBalanceRequest(account="not an account"))
    assert invalid.value.code() == CODE.INVALID_ARGUMENT
    broken = audit.ExportJournal(apb.ExportJournalRequest(format=apb.EXPORT_FORMAT_JSONL, to_sequence=1))
    with pytest.raises(grpc.RpcError) as unknown:
        list(broken)
    assert unknown.value.code() == CODE.UNKNOWN

    expected = {key: float(count) for key, count in outcomes.seen.items()}
    export = "/toudai.v1.AuditService/ExportJournal"
    expected[(export, "OK")] = 1.0
    expected[(export, "UNKNOWN")] = 1.0
    assert scraped_calls(url) == expected


def test_failing_bookkeeping_never_changes_an_answer(
    metered: tuple[grpc.Channel, _Outcomes, str], monkeypatch: pytest.MonkeyPatch, ledger: Ledger
) -> None:
    channel, _outcomes, url = metered
    stub = LedgerStub(channel)

    def broken(response: Any) -> tuple[int, int]:
        raise ValueError("planted: rows_written fails")

    monkeypatch.setattr(metrics_module, "rows_written", broken)
    stub.CreateParty(
        pb.CreatePartyRequest(request_id="p", party_id="bank-x", display_name="x", kind=pb.PARTY_KIND_BANK_BRANCH)
    )
    for code in ("cash", "capital"):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"a-{code}",
                party="parties/bank-x",
                code=code,
                type=pb.ACCOUNT_TYPE_ASSET if code == "cash" else pb.ACCOUNT_TYPE_EQUITY,
                commodity="CNY",
            )
        )
    posted = stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="t1",
                    value_date=date("2026-02-02"),
                    postings=[
                        pb.Posting(
                            account=acct("bank-x", "cash"),
                            side=pb.SIDE_DEBIT,
                            amount=pb.Amount(commodity="CNY", value="5.00"),
                        ),
                        pb.Posting(
                            account=acct("bank-x", "capital"),
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="5.00"),
                        ),
                    ],
                )
            ]
        )
    )
    assert len(posted.transactions) == 1  # answered OK although the bookkeeping raised
    assert scraped_calls(url)[("/toudai.v1.LedgerService/PostTransactions", "OK")] == 1.0
