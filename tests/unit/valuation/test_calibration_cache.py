"""value_options with a calibration cache carried between calls (MarkDesk keeps one per desk): the same
marks as without it, one backsolve per round and assumptions, and the key includes the assumptions."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from deals.terms import OptionTerms, QuantityBasis, StrikeBasis
from valuation.pricing import ValuationInputError, parse_cap_table
from valuation.rounds import FundingRound
from valuation.valuing import Assumptions, Calibrations, DealOption, value_options

Q1, Q2 = dt.date(2026, 3, 31), dt.date(2026, 6, 30)
CAP_TABLE = {
    "classes": [
        {"name": "common", "shares": 8_000_000},
        {"name": "B", "shares": 1_000_000, "preference": {"price": "3.00", "seniority": 1}},
    ]
}
ROUND = FundingRound(
    id=uuid.UUID("00000000-0000-4000-8000-000000000001"),
    company="Jiaxing Photonics",
    round_date=dt.date(2026, 1, 15),
    share_class="B",
    price_per_share="3.00",
    shares_issued=1_000_000,
    cap_table=CAP_TABLE,
    create_time=dt.datetime(2026, 1, 15, tzinfo=dt.UTC),
)
OPTION = DealOption(
    deal_id="d1",
    holder="arm",
    terms=OptionTerms(
        holder="arm",
        company="Jiaxing Photonics",
        share_class="common",
        quantity_basis=QuantityBasis.SHARES,
        shares=50_000,
        strike_basis=StrikeBasis.FIXED_PRICE,
        strike_price=Decimal("1.00"),
        window_start=dt.date(2025, 3, 3),
        window_end=dt.date(2030, 3, 3),
    ),
    quantity=50_000,
    booked_on=dt.date(2025, 3, 3),
)
ROUNDS = {"Jiaxing Photonics": [ROUND]}


def test_cached_calibrations_give_the_same_marks_with_one_backsolve_per_round_and_assumptions() -> None:
    cache: Calibrations = {}
    for day in (Q1, Q2):  # the backsolve does not depend on the date: one entry serves both quarters
        cached, _ = value_options([OPTION], ROUNDS, day, Assumptions(), cache)
        fresh, _ = value_options([OPTION], ROUNDS, day, Assumptions())
        assert cached == fresh
    assert list(cache) == [(ROUND.id, 0.5, 0.02, 3.0)]
    value_options([OPTION], ROUNDS, Q2, Assumptions(volatility=Decimal("0.40")), cache)
    assert sorted(key[1] for key in cache) == [0.4, 0.5]  # other assumptions: a calibration of their own


def test_a_cached_entry_is_what_the_call_uses() -> None:
    # Seeded with a refusal for the default assumptions: the deal is skipped as that round's price being
    # unreproducible, which only the cache can say (the round's real backsolve succeeds).
    refusal = ValuationInputError("price", "seeded refusal")
    cache: Calibrations = {(ROUND.id, 0.5, 0.02, 3.0): (parse_cap_table(CAP_TABLE), refusal)}
    marks, skipped = value_options([OPTION], ROUNDS, Q1, Assumptions(), cache)
    assert marks == [] and [(s.deal_id, s.reason) for s in skipped] == [("d1", "PRICE_NOT_REPRODUCIBLE")]
    marks, skipped = value_options([OPTION], ROUNDS, Q1, Assumptions(rate=Decimal("0.03")), cache)
    assert [m.deal_id for m in marks] == ["d1"] and skipped == []
