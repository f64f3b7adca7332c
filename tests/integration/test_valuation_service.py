"""ValuationService over real gRPC on SQLite and PostgreSQL: rounds, cap tables, deal values and revaluations.

References are independent of the code under test: the BSM leg of a deal's value is checked against
QuantLib's AnalyticEuropeanEngine at the spot and strike the service reports; the dilution-adjusted leg
against a fixed-point iteration written here; the booked marks against quantity × value per share
rounded once, half up, to the fen with Decimal; and the books against the holder's balances.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
from tests.integration import valuation_fixtures as vf
from toudai.v1 import ledger_pb2, ledger_pb2_grpc, valuation_pb2, valuation_pb2_grpc

Q1, Q2 = dt.date(2026, 3, 31), dt.date(2026, 6, 30)


@pytest.fixture
def valuation(channel: grpc.Channel) -> valuation_pb2_grpc.ValuationServiceStub:
    return valuation_pb2_grpc.ValuationServiceStub(channel)


@pytest.fixture
def booked(channel: grpc.Channel) -> grpc.Channel:
    """Parties, the docs' cap table recorded at a round of B at 3.00, a small deal and a large one."""
    vf.create_parties(channel)
    vf.record_round(channel)
    vf.book_deal(channel, "small", shares=100_000, strike="1.00")  # 0.9% of 11M: plain BSM
    vf.book_deal(channel, "large", shares=500_000, strike="2.00")  # 4.5%: dilution-adjusted
    return channel


def _violations(error: grpc.RpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found


def _refused(
    call: object, request: object, field: str, code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call(request)  # type: ignore[operator]
    assert raised.value.code() == code, raised.value.details()
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        assert field in _violations(raised.value), _violations(raised.value)


def _balance(channel: grpc.Channel, account: str) -> int:
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    response = stub.GetBalance(ledger_pb2.GetBalanceRequest(account=f"parties/{vf.HOLDER}/accounts/{account}"))
    value = Decimal(response.balance.balance.value)
    return int(value * 100)


def _fen(value_per_share: str, quantity: int) -> int:
    return int((Decimal(value_per_share) * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def _quantlib_call(
    spot: float, strike: float, rate: float, volatility: float, as_of: dt.date, expiry: dt.date
) -> float:
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(as_of.day, as_of.month, as_of.year)
    maturity = ql.Date(expiry.day, expiry.month, expiry.year)
    dc = ql.Actual365Fixed()
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(spot)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, rate, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), volatility, dc)),
    )
    option = ql.VanillaOption(ql.PlainVanillaPayoff(ql.Option.Call, strike), ql.EuropeanExercise(maturity))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    # QuantLib's evaluation date is global; it is set and restored around this one price.
    saved = ql.Settings.instance().evaluationDate
    ql.Settings.instance().evaluationDate = today
    try:
        return float(option.NPV())
    finally:
        ql.Settings.instance().evaluationDate = saved


def _bs_call(s: float, k: float, r: float, sigma: float, t: float) -> float:
    n = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))  # noqa: E731
    d1 = (math.log(s / k) + (r + sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    return s * n(d1) - k * math.exp(-r * t) * n(d1 - sigma * math.sqrt(t))


def test_round_is_stored_and_read_back_as_of_a_date(
    channel: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub
) -> None:
    first = vf.record_round(channel, price="2.00", day=dt.date(2025, 6, 1))
    second = vf.record_round(channel)
    found = valuation.GetCapTable(valuation_pb2.GetCapTableRequest(company=vf.COMPANY, as_of=vf.date(Q1)))
    assert found.funding_round.name == second.name
    assert found.funding_round.cap_table == vf.CAP_TABLE
    assert found.funding_round.preference.participation_cap == "3"
    earlier = valuation.GetCapTable(
        valuation_pb2.GetCapTableRequest(company=vf.COMPANY, as_of=vf.date(dt.date(2025, 12, 31)))
    )
    assert earlier.funding_round.name == first.name
    page = valuation.ListFundingRounds(valuation_pb2.ListFundingRoundsRequest(company=vf.COMPANY, page_size=1))
    assert [r.name for r in page.funding_rounds] == [first.name]
    rest = valuation.ListFundingRounds(
        valuation_pb2.ListFundingRoundsRequest(company=vf.COMPANY, page_size=1, page_token=page.next_page_token)
    )
    assert [r.name for r in rest.funding_rounds] == [second.name] and not rest.next_page_token


def test_record_round_is_idempotent(channel: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub) -> None:
    request = valuation_pb2.RecordFundingRoundRequest(
        request_id="round-1",
        company="acme",
        round_date=vf.date(vf.ROUND_DATE),
        share_class="B",
        price_per_share="3.00",
        shares_issued=1_000_000,
        cap_table=vf.CAP_TABLE,
    )
    first = valuation.RecordFundingRound(request)
    again = valuation.RecordFundingRound(request)
    assert first.funding_round.name == again.funding_round.name
    request.price_per_share = "3.50"
    _refused(valuation.RecordFundingRound, request, "", grpc.StatusCode.ALREADY_EXISTS)


def test_value_deal_option_matches_quantlib_and_the_dilution_fixed_point(
    booked: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub
) -> None:
    small = valuation.ValueDealOption(valuation_pb2.ValueDealOptionRequest(name="deals/small", as_of=vf.date(Q1)))
    v = small.valuation
    assert v.engine == "bsm" and v.code_version.startswith("toudai-")
    spot, strike = float(v.inputs["spot"]), float(v.inputs["strike"])
    assert v.inputs["volatility"] == "0.50" and v.inputs["rate"] == "0.02" and v.inputs["exit_years"] == "3"
    expected = _quantlib_call(spot, strike, 0.02, 0.50, Q1, dt.date(2030, 3, 3))
    assert float(v.value_per_share) == pytest.approx(expected, rel=1e-9)
    assert vf.fen(v.fair_value) == _fen(v.value_per_share, 100_000)

    large = valuation.ValueDealOption(
        valuation_pb2.ValueDealOptionRequest(
            name="deals/large",
            as_of=vf.date(Q1),
            assumptions=valuation_pb2.ValuationAssumptions(volatility="0.40", rate="0.025", exit_years="4"),
        )
    ).valuation
    assert large.engine == "warrant"
    s, k, t = float(large.inputs["spot"]), float(large.inputs["strike"]), float(large.inputs["years"])
    n, m = float(large.inputs["shares_outstanding"]), 500_000.0
    assert n == 11_000_000
    w = 0.0
    for _ in range(200):  # W = N/(N+M)·C(S + M·W/N, K): a contraction, iterate to the fixed point
        w = n / (n + m) * _bs_call(s + m * w / n, k, 0.025, 0.40, t)
    assert float(large.value_per_share) == pytest.approx(w, rel=1e-9)
    assert float(large.value_per_share) < _bs_call(s, k, 0.025, 0.40, t)


def test_revaluation_marks_the_books_once_and_then_the_difference(
    booked: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub, ledger: Ledger
) -> None:
    first = valuation.RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id="reval-q1", as_of=vf.date(Q1)))
    assert [v.deal for v in first.valuations] == ["deals/large", "deals/small"]
    marks = {}
    for v in first.valuations:
        expected = _fen(v.value_per_share, v.quantity)
        assert vf.fen(v.fair_value) == expected == vf.fen(v.change)
        assert v.transaction.startswith("transactions/")
        deal = v.deal.removeprefix("deals/")
        assert _balance(booked, f"options-fair-value.{deal}") == expected
        marks[deal] = expected
    # One ledger transaction per holder and batch of deals (valuation.journal): a debit per deal's account,
    # then one credit of their sum to the gains.
    assert first.transactions_posted == 1 and len({v.transaction for v in first.valuations}) == 1
    entry = ledger.get_transaction(first.valuations[0].transaction)
    assert [(p.account.code, p.side.value, p.amount) for p in entry.postings] == [
        ("options-fair-value.large", "debit", marks["large"]),
        ("options-fair-value.small", "debit", marks["small"]),
        ("fair-value-gains", "credit", marks["large"] + marks["small"]),
    ]
    assert _balance(booked, "fair-value-gains") == sum(marks.values())  # shown in its normal (credit) sign

    replay = valuation.RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id="reval-q1", as_of=vf.date(Q1)))
    assert replay.name == first.name and [v.transaction for v in replay.valuations] == [
        v.transaction for v in first.valuations
    ]
    again = valuation.RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id="reval-q1-b", as_of=vf.date(Q1)))
    assert again.transactions_posted == 0 and vf.fen(again.total_change) == 0
    assert all(vf.fen(v.change) == 0 and not v.transaction for v in again.valuations)

    later = valuation.RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id="reval-q2", as_of=vf.date(Q2)))
    for v in later.valuations:
        deal = v.deal.removeprefix("deals/")
        new_mark = _fen(v.value_per_share, v.quantity)
        assert vf.fen(v.change) == new_mark - marks[deal]
        assert _balance(booked, f"options-fair-value.{deal}") == new_mark
    for party in (vf.BRANCH, vf.HOLDER, vf.POOL):
        assert set(ledger.trial_balance(party).values()) == {0}

    _refused(
        valuation.RevalueOptions,
        valuation_pb2.RevalueOptionsRequest(request_id="reval-late", as_of=vf.date(Q1)),
        "",
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    _refused(
        valuation.RevalueOptions,
        valuation_pb2.RevalueOptionsRequest(request_id="reval-q1", as_of=vf.date(Q2)),
        "",
        grpc.StatusCode.ALREADY_EXISTS,
    )


def test_deals_without_a_round_are_skipped_and_refused_by_name(
    booked: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub
) -> None:
    vf.book_deal(booked, "orphan", company="Unknown Robotics Ltd.")
    _refused(
        valuation.ValueDealOption,
        valuation_pb2.ValueDealOptionRequest(name="deals/orphan", as_of=vf.date(Q1)),
        "as_of",
    )
    result = valuation.RevalueOptions(valuation_pb2.RevalueOptionsRequest(request_id="r-orphan", as_of=vf.date(Q1)))
    assert [s.deal for s in result.skipped] == ["deals/orphan"]
    assert "Unknown Robotics" in result.skipped[0].reason
    vf.book_deal(booked, "preferred", share_class="Z")
    _refused(
        valuation.ValueDealOption,
        valuation_pb2.ValueDealOptionRequest(name="deals/preferred", as_of=vf.date(Q1)),
        "name",
    )


def test_bad_inputs_are_invalid_argument_naming_the_field(
    booked: grpc.Channel, valuation: valuation_pb2_grpc.ValuationServiceStub
) -> None:
    hull = {"spot": "42", "strike": "40", "rate": "0.1", "volatility": "0.2", "years": "0.5"}
    _refused(
        valuation.PriceOption,
        valuation_pb2.PriceOptionRequest(model=valuation_pb2.PRICING_MODEL_BSM, **{**hull, "volatility": "-0.2"}),
        "volatility",
    )
    _refused(
        valuation.PriceOption,
        valuation_pb2.PriceOptionRequest(
            model=valuation_pb2.PRICING_MODEL_BINOMIAL, **{**hull, "rate": "0.9"}, steps=1
        ),
        "steps",
    )
    _refused(valuation.PriceOption, valuation_pb2.PriceOptionRequest(**hull), "model")
    _refused(
        valuation.PriceOption,
        valuation_pb2.PriceOptionRequest(model=valuation_pb2.PRICING_MODEL_WARRANT, **hull),
        "shares_outstanding",
    )
    _refused(
        valuation.PriceOption,
        valuation_pb2.PriceOptionRequest(
            model=valuation_pb2.PRICING_MODEL_BSM, style=valuation_pb2.EXERCISE_STYLE_AMERICAN, **hull
        ),
        "style",
    )
    _refused(
        valuation.ValueDealOption,
        valuation_pb2.ValueDealOptionRequest(
            name="deals/small", assumptions=valuation_pb2.ValuationAssumptions(volatility="-0.3")
        ),
        "assumptions.volatility",
    )
    _refused(
        valuation.RevalueOptions,
        valuation_pb2.RevalueOptionsRequest(
            request_id="r-bad", as_of=vf.date(Q1), assumptions=valuation_pb2.ValuationAssumptions(rate="abc")
        ),
        "assumptions.rate",
    )
    _refused(valuation.RevalueOptions, valuation_pb2.RevalueOptionsRequest(request_id="r-no-date"), "as_of")
    _refused(
        valuation.GetCapTable,
        valuation_pb2.GetCapTableRequest(company="Unknown Robotics Ltd."),
        "",
        grpc.StatusCode.NOT_FOUND,
    )
    _refused(valuation.GetCapTable, valuation_pb2.GetCapTableRequest(company=""), "company")
    good = valuation_pb2.RecordFundingRoundRequest(
        request_id="bad-round",
        company=vf.COMPANY,
        round_date=vf.date(vf.ROUND_DATE),
        share_class="B",
        price_per_share="3.00",
        shares_issued=1_000_000,
        cap_table=vf.CAP_TABLE,
    )
    for field, change in (
        ("share_class", {"share_class": "C"}),
        ("price_per_share", {"price_per_share": "0"}),
        ("price_per_share", {"price_per_share": "-1"}),
        ("shares_issued", {"shares_issued": 2_000_000}),
        ("company", {"company": "a/b"}),
        ("round_date", {"round_date": vf.date(dt.date(2099, 1, 1))}),
    ):
        request = valuation_pb2.RecordFundingRoundRequest()
        request.CopyFrom(good)
        for key, value in change.items():
            if key == "round_date":
                request.round_date.CopyFrom(value)  # type: ignore[arg-type]
            else:
                setattr(request, key, value)
        _refused(valuation.RecordFundingRound, request, field)
    negative = valuation_pb2.RecordFundingRoundRequest()
    negative.CopyFrom(good)
    negative.cap_table.classes[0].shares = -5
    _refused(valuation.RecordFundingRound, negative, "cap_table.classes[0].shares")
    mismatch = valuation_pb2.RecordFundingRoundRequest()
    mismatch.CopyFrom(good)
    mismatch.preference.CopyFrom(valuation_pb2.Preference(price="3.00", participating=False))
    _refused(valuation.RecordFundingRound, mismatch, "preference")
    bad_cap = valuation_pb2.RecordFundingRoundRequest()
    bad_cap.CopyFrom(good)
    bad_cap.cap_table.classes[2].preference.participation_cap = "0.5"
    _refused(valuation.RecordFundingRound, bad_cap, "cap_table.classes[2].preference.participation_cap")


def test_price_option_reproduces_hull(valuation: valuation_pb2_grpc.ValuationServiceStub) -> None:
    hull = {"spot": "42", "strike": "40", "rate": "0.1", "volatility": "0.2", "years": "0.5"}
    call = valuation.PriceOption(valuation_pb2.PriceOptionRequest(model=valuation_pb2.PRICING_MODEL_BSM, **hull))
    put = valuation.PriceOption(
        valuation_pb2.PriceOptionRequest(
            model=valuation_pb2.PRICING_MODEL_BSM, right=valuation_pb2.OPTION_RIGHT_PUT, **hull
        )
    )
    assert round(float(call.price), 2) == 4.76 and round(float(put.price), 2) == 0.81
    assert call.delta and call.vega and not call.std_error
    mc = valuation.PriceOption(
        valuation_pb2.PriceOptionRequest(model=valuation_pb2.PRICING_MODEL_MONTE_CARLO, seed=7, paths=200_000, **hull)
    )
    assert abs(float(mc.price) - float(call.price)) < 3 * float(mc.std_error)
