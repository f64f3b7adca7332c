"""Metadata and amounts exactly as documented (docs/api.md "Limits"), and PriceOption's work bounded, over
real gRPC on SQLite and PostgreSQL.

- a metadata value holds no control character at all (category Cc: tab, newline, carriage return, NUL, ESC,
  DEL, the C1 controls) and no U+2028 / U+2029; keys starting `toudai.` are reserved in any letter case;
- an amount or a decimal never starts with `+` (one amount, one spelling);
- PriceOption refuses more binomial steps or Monte Carlo paths than its documented limits.

Refusals are INVALID_ARGUMENT with a BadRequest field violation on the offending field, and change nothing
(the shared book of tests/integration/bad_input_book.py, its `refuse` checks the database).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from server.valuation_servicer import MAX_PATHS, MAX_STEPS
from tests.integration.bad_input_book import (
    BANK_CASH,
    BANK_LOANS,
    INVALID,
    Book,
    credit,
    debit,
    fresh_id,
    post,
    post_refused,
    refuse,
    tx,
)
from tests.integration.settlement_world import deal_terms, option_terms
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc, valuation_pb2, valuation_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

CONTROL_VALUES = {
    "newline": "a\nb",
    "tab": "a\tb",
    "carriage-return": "a\rb",
    "nul": "a\x00b",
    "esc": "a\x1b[2Jb",
    "del": "a\x7fb",
    "c1-nel": "a\x85b",
    "c1-csi": "a\x9bb",
    "line-separator": "a\u2028b",
    "paragraph-separator": "a\u2029b",
}


@pytest.mark.parametrize("value", list(CONTROL_VALUES.values()), ids=list(CONTROL_VALUES))
def test_metadata_values_with_control_characters(book: Book, value: str) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata={"deal": value}))
    )
    v = r.violation("transactions[0].metadata['deal']")
    assert "control characters" in v.description


@pytest.mark.parametrize("value", ["a\tb", "a\u2028b", "a\x7fb"], ids=["tab", "line-separator", "del"])
def test_hold_metadata_values_with_control_characters(book: Book, value: str) -> None:
    request = pb.CreateHoldRequest(
        request_id=fresh_id("hold"),
        debit_account=BANK_LOANS,
        credit_account=BANK_CASH,
        amount=pb.Amount(commodity="CNY", value="1.00"),
        metadata={"deal": value},
    )
    r = refuse(book, book.stub.CreateHold, request, INVALID)
    assert "control characters" in r.violation("metadata['deal']").description


@pytest.mark.parametrize("key", ["TOUDAI.principal", "Toudai.role", "tOUDAI.hold", "toudai.x"])
def test_reserved_metadata_keys_in_any_letter_case(book: Book, key: str) -> None:
    r = post_refused(
        book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, "1.00"), metadata={key: "me"}))
    )
    assert "reserved" in r.violation(f"transactions[0].metadata[{key!r}]").description


def test_a_metadata_filter_with_control_characters(book: Book) -> None:
    request = pb.ListTransactionsRequest(metadata_key="deal", metadata_value="a\tb")
    r = refuse(book, book.stub.ListTransactions, request, INVALID)
    assert "without control characters" in r.violation("metadata_value").description


def test_printable_metadata_is_still_accepted(book: Book) -> None:
    """Spaces, quotes, Chinese and other printable text remain fine (the refused set is exactly the above)."""
    metadata = {"deal": 'hz "main" 杭州 · 贷款 \u00a0ok', "TOUDAIX.note": "not the reserved prefix"}
    posted = book.stub.PostTransactions(
        post(tx(fresh_id("ok"), debit(BANK_LOANS, "0.01"), credit(BANK_CASH, "0.01"), metadata=metadata))
    )
    assert dict(posted.transactions[0].metadata).items() >= metadata.items()


@pytest.mark.parametrize("value", ["+1.00", "+0.01", "+1", "+-1.00", "-+1.00"])
def test_an_amount_with_a_plus_sign(book: Book, value: str) -> None:
    r = post_refused(book, post(tx(fresh_id(), debit(BANK_LOANS, "1.00"), credit(BANK_CASH, value))))
    assert r.info.reason == "INVALID_AMOUNT"
    v = r.violation("transactions[0].postings[1].amount.value")
    assert v.reason == "INVALID_AMOUNT" and repr(value) in v.description and "no '+'" in v.description


def test_a_hold_amount_with_a_plus_sign(book: Book) -> None:
    request = pb.CreateHoldRequest(
        request_id=fresh_id("hold"),
        debit_account=BANK_LOANS,
        credit_account=BANK_CASH,
        amount=pb.Amount(commodity="CNY", value="+1.00"),
    )
    r = refuse(book, book.stub.CreateHold, request, INVALID)
    assert "no '+'" in r.violation("amount.value").description


# ---------------------------------------------------------------- decimals and PriceOption (a server of their own)


def _violations(error: Any) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found.update({v.field: v.description for v in bad.field_violations})
    return found


def test_a_deal_rate_with_a_plus_sign(channel: grpc.Channel) -> None:
    terms = deal_terms("1000000.00", "2026-03-02", "2027-03-02", option_terms(), "100000.00")
    terms.loan.annual_rate = "+0.0435"
    with pytest.raises(grpc.RpcError) as refused:
        deals_pb2_grpc.DealServiceStub(channel).BookLinkedDeal(
            dpb.BookLinkedDealRequest(request_id="plus", deal_id="plus", terms=terms)
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no '+'" in _violations(refused.value)["terms.loan.annual_rate"]


HULL = {"spot": "42", "strike": "40", "rate": "0.1", "volatility": "0.2", "years": "0.5"}


@pytest.mark.parametrize(
    ("model", "field", "value", "limit"),
    [
        (valuation_pb2.PRICING_MODEL_BINOMIAL, "steps", MAX_STEPS + 1, f"{MAX_STEPS:,}"),
        (valuation_pb2.PRICING_MODEL_BINOMIAL, "steps", 20_000, f"{MAX_STEPS:,}"),
        (valuation_pb2.PRICING_MODEL_MONTE_CARLO, "paths", MAX_PATHS + 1, f"{MAX_PATHS:,}"),
        (valuation_pb2.PRICING_MODEL_MONTE_CARLO, "paths", 10_000_000, f"{MAX_PATHS:,}"),
    ],
)
def test_price_option_work_is_bounded(channel: grpc.Channel, model: int, field: str, value: int, limit: str) -> None:
    valuation = valuation_pb2_grpc.ValuationServiceStub(channel)
    request = valuation_pb2.PriceOptionRequest(
        model=model, style=valuation_pb2.EXERCISE_STYLE_AMERICAN, right=valuation_pb2.OPTION_RIGHT_PUT, **HULL
    )
    if model == valuation_pb2.PRICING_MODEL_MONTE_CARLO:
        request.style = valuation_pb2.EXERCISE_STYLE_EUROPEAN
    setattr(request, field, value)
    with pytest.raises(grpc.RpcError) as refused:
        valuation.PriceOption(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    description = _violations(refused.value)[field]
    assert limit in description and "limit" in description
    setattr(request, field, int(limit.replace(",", "")))  # the limit itself is priced
    assert float(valuation.PriceOption(request, timeout=10).price) > 0


def test_limits_are_the_documented_ones() -> None:
    from pathlib import Path

    operations = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    assert f"| `PriceOption` binomial steps | {MAX_STEPS:,} |" in operations
    assert f"| `PriceOption` Monte Carlo paths | {MAX_PATHS:,} |" in operations
