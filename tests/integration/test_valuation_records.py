"""Valuation records read back over real gRPC on SQLite and PostgreSQL, with keys (roles matter here).

A revaluation stores a record per deal; GetValuationRecord and ListValuationRecords return them, the
transaction that posted a deal's change leads to its record, and the record's inputs reproduce the
posted mark to the fen: the spot from the OPM tranche values and the class's participation, the price
with the pure engine (`valuation.pricing`) at the recorded N and M, the money with Decimal, rounded once
half up to the fen, independently of `valuation.money`.

The deals are the valuation tests' (tests/integration/valuation_fixtures.py): the cap table of
docs/valuation.md (as-converted shares 8,000,000 + 2,000,000 + 1,000,000 = 11,000,000; the 500,000-option
esop pool is left out of N), "small" on 100,000 common shares (M/N 0.9%: plain Black-Scholes) and
"large" on 500,000 (4.5%: the dilution-adjusted warrant).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from google.rpc import error_details_pb2
from google.type import date_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
from server.app import create_server
from server.auth import Authenticator, Role, load_key_set
from tests.integration import valuation_fixtures as vf
from tests.integration.authz_world import SECRET, BearerInterceptor, bearer, token
from tests.integration.dbstate import assert_unchanged, snapshot
from toudai.v1 import ledger_pb2, ledger_pb2_grpc, valuation_pb2, valuation_pb2_grpc
from valuation import schema as ms
from valuation.pricing import Right, bsm_price, warrant_values

Q1, Q2 = dt.date(2026, 3, 31), dt.date(2026, 6, 30)
OTHER_ARM = "arm-b"
DOCS_BREAKPOINTS = [3_000_000.0, 5_000_000.0, 9_500_000.0, 14_250_000.0, 71_750_000.0, 103_250_000.0]


@dataclass
class Served:
    admin: grpc.Channel
    channel: grpc.Channel
    ledger: Ledger

    def valuation(self, role: Role = Role.ADMIN, party: str = "") -> tuple[object, tuple[tuple[str, str], ...]]:
        stub = valuation_pb2_grpc.ValuationServiceStub(self.channel)
        return stub, bearer(token(role, party))


@pytest.fixture
def served(ledger: Ledger, tmp_path: Path) -> Iterator[Served]:
    (tmp_path / "k1.secret").write_bytes(SECRET)
    server, port = create_server(
        ledger, "127.0.0.1:0", authenticator=Authenticator(load_key_set([str(tmp_path / "k1.secret")]))
    )
    server.start()
    target = f"127.0.0.1:{port}"
    admin = grpc.intercept_channel(grpc.insecure_channel(target), BearerInterceptor(token(Role.ADMIN, sub="root")))
    channel = grpc.insecure_channel(target)
    try:
        vf.create_parties(admin)
        ledger_pb2_grpc.LedgerServiceStub(admin).CreateParty(
            ledger_pb2.CreatePartyRequest(
                request_id="p-arm-b",
                party_id=OTHER_ARM,
                display_name=OTHER_ARM,
                kind=ledger_pb2.PARTY_KIND_INVESTMENT_ARM,
            )
        )
        vf.record_round(admin)
        vf.book_deal(admin, "small", shares=100_000, strike="1.00")
        vf.book_deal(admin, "large", shares=500_000, strike="2.00")
        yield Served(admin, channel, ledger)
    finally:
        channel.close()
        admin.close()
        server.stop(0).wait()


def _admin(served: Served) -> valuation_pb2_grpc.ValuationServiceStub:
    return valuation_pb2_grpc.ValuationServiceStub(served.admin)


def _revalue(served: Served, request_id: str, day: dt.date) -> valuation_pb2.RevalueOptionsResponse:
    return _admin(served).RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id=request_id, as_of=vf.date(day)))


def _fen(value_per_share: str, quantity: int) -> int:
    return int((Decimal(value_per_share) * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def _violations(error: grpc.RpcError) -> set[str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    found: set[str] = set()
    for detail in status.details if status else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found |= {v.field for v in bad.field_violations}
    return found


def _floats(values: object) -> list[float]:
    return [float(v) for v in values]  # type: ignore[attr-defined]


def test_a_revaluations_records_read_back_and_reproduce_the_posted_marks(served: Served) -> None:
    stub = _admin(served)
    ledger = ledger_pb2_grpc.LedgerServiceStub(served.admin)
    revalued = _revalue(served, "reval-q1", Q1)
    assert {v.deal for v in revalued.valuations} == {"deals/large", "deals/small"}
    for valuation in revalued.valuations:
        deal = valuation.deal.removeprefix("deals/")
        # From the transaction to the record: its metadata names the records' collection, the posting's
        # account the deal.
        tx = ledger.GetTransaction(ledger_pb2.GetTransactionRequest(name=valuation.transaction)).transaction
        assert tx.metadata["toudai.revaluation"] == revalued.name.removeprefix("revaluations/")
        posting = next(p for p in tx.postings if p.account.endswith(f"/options-fair-value.{deal}"))
        name = f"{tx.metadata['toudai.valuation_records']}/{deal}"
        assert name == f"{revalued.name}/valuationRecords/{deal}" == valuation.valuation_record
        record = stub.GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=name)).valuation_record
        assert (record.name, record.revaluation, record.deal) == (name, revalued.name, valuation.deal)
        assert record.holder == f"parties/{vf.HOLDER}" and record.transaction == tx.name
        assert record.as_of == vf.date(Q1) and record.code_version == valuation.code_version
        # The answer's inputs, and the round's calibration (stored once per round and class) merged in.
        assert dict(record.inputs) == dict(record.inputs) | dict(valuation.inputs)
        assert set(record.inputs) - set(valuation.inputs) == {
            "dividend_yield", "breakpoints", "tranche_values", "round_class_participation", "option_class_shares",
            "participation",
        }  # fmt: skip
        inputs = record.inputs

        # The OPM: the docs' breakpoints, a fraction of each tranche per class, and the spot they give.
        assert _floats(record.breakpoints) == pytest.approx(DOCS_BREAKPOINTS, rel=1e-12)
        tranches = _floats(record.tranche_values)
        participation = _floats(record.participation)
        assert len(tranches) == len(participation) == len(record.round_class_participation) == 7
        assert participation[:2] == [0.0, 0.0]  # common takes nothing of B's and A's preferences
        spot = sum(p * v for p, v in zip(participation, tranches, strict=True)) / float(inputs["option_class_shares"])
        assert spot == pytest.approx(float(inputs["spot"]), rel=1e-12)
        round_price = (
            sum(p * v for p, v in zip(_floats(record.round_class_participation), tranches, strict=True)) / 1_000_000
        )
        assert round_price == pytest.approx(3.00, rel=1e-9)  # the backsolve reproduces the round's price

        # N: the share classes' as-converted shares, the esop pool left out.
        assert float(record.shares_outstanding) == 11_000_000.0
        s, k, t = float(inputs["spot"]), float(inputs["strike"]), float(inputs["years"])
        r, sigma = float(inputs["rate"]), float(inputs["volatility"])
        assert record.engine_parameters["dividend_yield"] == "0"
        if deal == "small":
            assert record.engine == "bsm" and record.new_shares == "" and "new_shares" not in record.inputs
            assert float(record.dilution_ratio) == pytest.approx(100_000 / 11_000_000)
            assert record.dilution.startswith("none:") and "plain Black-Scholes" in record.dilution
            price = float(bsm_price(Right.CALL, s, k, r, sigma, t))
        else:
            assert record.engine == "warrant" and float(record.new_shares) == 500_000.0
            assert record.engine_parameters["new_shares"] == record.new_shares
            price = float(warrant_values([float(record.shares_outstanding)], [500_000.0], [s], [k], r, sigma, t)[0])
        assert price == pytest.approx(float(record.value_per_share), rel=1e-12, abs=1e-15)
        amount = _fen(repr(price), record.quantity)
        assert "ROUND_HALF_UP" in record.rounding and "0.01 CNY" in record.rounding
        assert amount == vf.fen(record.fair_value) == vf.fen(record.change) == int(Decimal(posting.amount.value) * 100)


def test_records_are_listed_by_deal_date_and_revaluation_and_paged(served: Served) -> None:
    stub = _admin(served)
    first, second = _revalue(served, "reval-q1", Q1), _revalue(served, "reval-q2", Q2)
    expected = [f"{run.name}/valuationRecords/{d}" for run in (first, second) for d in ("large", "small")]

    def names(**filters: object) -> list[str]:
        found, token_ = [], ""
        while True:
            page = stub.ListValuationRecords(
                valuation_pb2.ListValuationRecordsRequest(page_size=1, page_token=token_, **filters)  # type: ignore[arg-type]
            )
            found += [r.name for r in page.valuation_records]
            token_ = page.next_page_token
            if not token_:
                return found

    assert names() == expected
    assert names(deal="deals/large") == [expected[0], expected[2]]
    assert names(from_date=vf.date(Q2)) == expected[2:]
    assert names(to_date=vf.date(Q1)) == expected[:2]
    assert names(from_date=vf.date(Q1), to_date=vf.date(Q1), deal="deals/small") == [expected[1]]
    assert names(revaluation=second.name) == expected[2:]
    assert names(from_date=vf.date(dt.date(2026, 7, 1))) == []
    # A later mark posts only the difference: the second record's change.
    q2 = stub.GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=expected[3])).valuation_record
    q1 = stub.GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=expected[1])).valuation_record
    assert vf.fen(q2.change) == vf.fen(q2.fair_value) - vf.fen(q1.fair_value)


def test_the_holder_and_the_branch_read_their_records_another_arm_finds_none(served: Served) -> None:
    revalued = _revalue(served, "reval-q1", Q1)
    name = f"{revalued.name}/valuationRecords/small"
    stub = valuation_pb2_grpc.ValuationServiceStub(served.channel)
    get = valuation_pb2.GetValuationRecordRequest(name=name)
    everyone = valuation_pb2.ListValuationRecordsRequest()
    for role, party in (
        (Role.INVESTMENT_ARM, vf.HOLDER),
        (Role.BRANCH, vf.BRANCH),
        (Role.RISK_POOL, vf.POOL),
        (Role.AUDITOR, ""),
    ):
        assert stub.GetValuationRecord(get, metadata=bearer(token(role, party))).valuation_record.name == name
        listed = stub.ListValuationRecords(everyone, metadata=bearer(token(role, party)))
        assert len(listed.valuation_records) == 2, role
    stranger = bearer(token(Role.INVESTMENT_ARM, OTHER_ARM))
    with pytest.raises(grpc.RpcError) as hidden:
        stub.GetValuationRecord(get, metadata=stranger)
    missing_name = f"{revalued.name}/valuationRecords/no-such-deal"
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=missing_name), metadata=stranger)
    assert hidden.value.code() == missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert list(stub.ListValuationRecords(everyone, metadata=stranger).valuation_records) == []
    scoped = valuation_pb2.ListValuationRecordsRequest(deal="deals/small")
    assert list(stub.ListValuationRecords(scoped, metadata=stranger).valuation_records) == []
    with pytest.raises(grpc.RpcError) as refused:  # the insurer is no party to a valuation
        stub.GetValuationRecord(get, metadata=bearer(token(Role.INSURER, "insurer-x")))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_bad_input_is_invalid_argument_naming_the_field_and_changes_nothing(served: Served) -> None:
    revalued = _revalue(served, "reval-q1", Q1)
    stub = _admin(served)
    page = stub.ListValuationRecords(valuation_pb2.ListValuationRecordsRequest(page_size=1))
    before = snapshot(served.ledger.engines.writer)
    bad_gets = [
        "",
        "valuationRecords/small",
        "revaluations/not-a-uuid/valuationRecords/small",
        f"{revalued.name}/valuationRecords/",
        f"{revalued.name}/valuationRecords/Bad Deal!",
        f"{revalued.name}/records/small",
    ]
    for name in bad_gets:
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=name))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, name
        assert _violations(caught.value) == {"name"}, name
    date = valuation_pb2.ListValuationRecordsRequest
    bad_lists = [
        (date(from_date=vf.date(Q2), to_date=vf.date(Q1)), {"to_date"}),
        (date(from_date=vf.date(Q1), to_date=date_pb2.Date(year=2026, month=13, day=1)), {"to_date"}),
        (date(page_size=-1), {"page_size"}),
        (date(deal="deal/small"), {"deal"}),
        (date(revaluation="revaluations/abc"), {"revaluation"}),
        (date(deal="deals/", revaluation="run-1", page_size=-5), {"deal", "revaluation", "page_size"}),
        (date(page_token="not-a-token"), {"page_token"}),
        (date(page_size=1, page_token=page.next_page_token, deal="deals/small"), {"page_token"}),
    ]
    for request, fields in bad_lists:
        with pytest.raises(grpc.RpcError) as caught:
            stub.ListValuationRecords(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, request
        assert _violations(caught.value) == fields, request
    assert_unchanged(before, snapshot(served.ledger.engines.writer))


def test_a_record_stored_before_breakpoints_were_recorded_still_reads_back(served: Served) -> None:
    """Records of earlier versions lack the breakpoints, tranche values, participation and dilution ratio,
    and carry new_shares "0.0" for plain Black-Scholes: the fields built from them are empty, M is empty
    for bsm whatever was stored, and M/N is recomputed as quantity ÷ N."""
    revalued = _revalue(served, "reval-q1", Q1)
    name = f"{revalued.name}/valuationRecords/small"
    legacy_keys = {
        "as_of", "volatility", "rate", "exit_years", "funding_round", "round_date", "round_class", "round_price",
        "equity_value", "option_class", "spot", "quantity", "shares_outstanding", "strike_basis", "expiry_date",
        "years", "strike",
    }  # fmt: skip
    v = ms.valuation_records

    def make_legacy(session: object) -> None:
        conn = session.connection  # type: ignore[attr-defined]
        row = conn.execute(sa.select(v).where(v.c.deal_id == "small")).one()
        inputs = {k: x for k, x in json.loads(row.inputs_json).items() if k in legacy_keys} | {"new_shares": "0.0"}
        conn.execute(sa.update(v).where(v.c.id == row.id).values(inputs_json=json.dumps(inputs, sort_keys=True)))
        runs = ms.revaluations
        run = conn.execute(sa.select(runs).where(runs.c.id == row.revaluation_id)).one()
        assumptions = {k: x for k, x in json.loads(run.inputs_json).items() if k != "calibrations"}
        conn.execute(sa.update(runs).where(runs.c.id == run.id).values(inputs_json=json.dumps(assumptions)))

    served.ledger.write(make_legacy, what="legacy record")
    record = _admin(served).GetValuationRecord(valuation_pb2.GetValuationRecordRequest(name=name)).valuation_record
    assert record.engine == "bsm" and record.inputs["new_shares"] == "0.0"  # as stored
    assert list(record.breakpoints) == list(record.tranche_values) == list(record.participation) == []
    assert record.new_shares == "" and record.shares_outstanding == "11000000.0"
    assert math.isclose(float(record.dilution_ratio), 100_000 / 11_000_000)
    assert dict(record.engine_parameters) == {}
    assert vf.fen(record.fair_value) == _fen(record.value_per_share, record.quantity)
