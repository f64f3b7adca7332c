"""No-arbitrage bounds and monotonicity, for any inputs hypothesis can think of."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from valuation.pricing import bsm_price, crr_price, distribute, parse_cap_table, value_classes

spots = st.floats(0.01, 1000.0)
strikes = st.floats(0.01, 1000.0)
rates = st.floats(0.0, 0.2)
vols = st.floats(0.01, 2.0)
years = st.floats(0.0, 10.0)
yields = st.floats(0.0, 0.1)


@given(spots, strikes, rates, vols, years)
def test_call_between_its_no_arbitrage_bounds(s: float, k: float, r: float, sigma: float, t: float) -> None:
    c = float(bsm_price("call", s, k, r, sigma, t))
    slack = 1e-9 * max(s, k)
    assert max(s - k * math.exp(-r * t), 0.0) - slack <= c <= s + slack


@given(spots, strikes, rates, vols, years, yields, st.booleans(), st.floats(1.0001, 1.5))
def test_monotonic_in_spot_and_volatility(
    s: float, k: float, r: float, sigma: float, t: float, q: float, call: bool, bump: float
) -> None:
    slack = 1e-9 * max(s, k)
    base = float(bsm_price(call, s, k, r, sigma, t, q))
    higher_spot = float(bsm_price(call, s * bump, k, r, sigma, t, q))
    higher_vol = float(bsm_price(call, s, k, r, sigma * bump, t, q))
    assert (higher_spot >= base - slack) if call else (higher_spot <= base + slack)
    assert higher_vol >= base - slack


@settings(max_examples=60, deadline=None)
@given(spots, strikes, st.floats(0.0, 0.1), st.floats(0.05, 1.0), st.floats(0.01, 5.0), yields, st.booleans())
def test_american_worth_at_least_european(
    s: float, k: float, r: float, sigma: float, t: float, q: float, call: bool
) -> None:
    steps = 100
    # enough steps for a valid probability: σ√dt must exceed |r − q|·dt
    if sigma * math.sqrt(t / steps) <= abs(r - q) * t / steps:
        return
    american = float(crr_price(call, "american", s, k, r, sigma, t, q, steps=steps))
    european = float(crr_price(call, "european", s, k, r, sigma, t, q, steps=steps))
    assert american >= european - 1e-9 * max(s, k)
    intrinsic = max(s - k, 0.0) if call else max(k - s, 0.0)
    assert american >= intrinsic - 1e-9 * max(s, k)


_TABLE = parse_cap_table(
    {
        "classes": [
            {"name": "common", "shares": 5_000_000},
            {"name": "seed", "shares": 1_000_000, "preference": {"price": "0.80", "seniority": 2}},
            {
                "name": "A",
                "shares": 2_000_000,
                "conversion_ratio": "1.25",
                "preference": {"price": "2.00", "multiple": "1.5", "participating": True, "participation_cap": 2},
            },
        ],
        "option_pools": [{"name": "esop", "shares": 700_000, "strike": "0.30"}],
    }
)


@given(st.floats(0.0, 1e9))
def test_waterfall_pays_out_exactly_the_exit_value(value: float) -> None:
    assert sum(distribute(_TABLE, value).values()) == pytest.approx(value, rel=1e-12, abs=1e-6)


@settings(deadline=None)
@given(st.floats(1e5, 1e9), st.floats(1.01, 2.0), st.floats(0.1, 1.5), st.floats(0.1, 8.0))
def test_opm_conserves_value_and_every_class_rises_with_it(v: float, bump: float, sigma: float, t: float) -> None:
    low = value_classes(_TABLE, v, rate=0.03, volatility=sigma, years=t)
    high = value_classes(_TABLE, v * bump, rate=0.03, volatility=sigma, years=t)
    assert math.isclose(sum(low.values.values()), v, rel_tol=1e-9)
    for name in _TABLE.holders:
        assert high.per_share[name] >= low.per_share[name] - 1e-12 * v
