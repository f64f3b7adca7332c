"""Black-Scholes-Merton against Hull's worked example, put-call parity, limits and input errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.unit.valuation.reference import black_scholes
from valuation.pricing import MarketData, OptionTerms, ValuationInputError, bsm_greeks, bsm_price, price_bsm


def test_hull_example_call_and_put() -> None:
    # Hull, Options, Futures and Other Derivatives, example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5.
    assert round(float(bsm_price("call", 42, 40, 0.10, 0.20, 0.5)), 2) == 4.76
    assert round(float(bsm_price("put", 42, 40, 0.10, 0.20, 0.5)), 2) == 0.81


def test_matches_textbook_formula_with_dividends() -> None:
    for call in (True, False):
        for s, k, r, sigma, t, q in [(100, 90, 0.03, 0.25, 2.0, 0.02), (50, 70, -0.01, 0.6, 0.1, 0.05)]:
            expected = black_scholes(call, s, k, r, sigma, t, q)
            assert float(bsm_price(call, s, k, r, sigma, t, q)) == pytest.approx(expected, rel=1e-12)


def test_put_call_parity_with_dividends() -> None:
    rng = np.random.default_rng(7)
    s, k = rng.uniform(1, 200, 1000), rng.uniform(1, 200, 1000)
    r, q = rng.uniform(-0.02, 0.1, 1000), rng.uniform(0, 0.08, 1000)
    sigma, t = rng.uniform(0.01, 1.5, 1000), rng.uniform(0.01, 10, 1000)
    call, put = bsm_price("call", s, k, r, sigma, t, q), bsm_price("put", s, k, r, sigma, t, q)
    # C − P = S·e^(−qT) − K·e^(−rT)
    np.testing.assert_allclose(call - put, s * np.exp(-q * t) - k * np.exp(-r * t), rtol=1e-9, atol=1e-9)


def test_broadcasting_and_mixed_rights() -> None:
    prices = bsm_price(np.array([True, False]), 42.0, np.array([[40.0], [45.0]]), 0.1, 0.2, 0.5)
    assert prices.shape == (2, 2)
    assert prices[0, 0] == pytest.approx(black_scholes(True, 42, 40, 0.1, 0.2, 0.5), rel=1e-12)
    assert prices[1, 1] == pytest.approx(black_scholes(False, 42, 45, 0.1, 0.2, 0.5), rel=1e-12)
    rights = bsm_price(["call", "put"], 42.0, 40.0, 0.1, 0.2, 0.5)
    np.testing.assert_allclose(rights, prices[0], rtol=1e-15)


def test_greeks_against_finite_differences_of_the_textbook_formula() -> None:
    s, k, r, sigma, t, q = 42.0, 40.0, 0.1, 0.2, 0.5, 0.03
    h = 1e-5
    for call in (True, False):
        g = bsm_greeks(call, s, k, r, sigma, t, q)

        def f(s: float = s, r: float = r, sigma: float = sigma, t: float = t, call: bool = call) -> float:
            return black_scholes(call, s, k, r, sigma, t, q)

        assert float(g.delta) == pytest.approx((f(s=s + h) - f(s=s - h)) / (2 * h), rel=1e-6)
        big = 1e-3  # a second difference needs a larger step than roundoff allows for h
        assert float(g.gamma) == pytest.approx((f(s=s + big) - 2 * f() + f(s=s - big)) / big**2, rel=1e-6)
        assert float(g.vega) == pytest.approx((f(sigma=sigma + h) - f(sigma=sigma - h)) / (2 * h), rel=1e-6)
        assert float(g.rho) == pytest.approx((f(r=r + h) - f(r=r - h)) / (2 * h), rel=1e-6)
        # theta per year is −∂V/∂T
        assert float(g.theta) == pytest.approx(-(f(t=t + h) - f(t=t - h)) / (2 * h), rel=1e-6)


def test_expiry_and_zero_volatility_limits_are_intrinsic() -> None:
    assert float(bsm_price("call", 42, 40, 0.1, 0.2, 0.0)) == 2.0
    assert float(bsm_price("put", 42, 40, 0.1, 0.2, 0.0)) == 0.0
    assert float(bsm_price("put", 38, 40, 0.1, 0.2, 0.0)) == 2.0
    # σ = 0: the discounted forward intrinsic value
    assert float(bsm_price("call", 42, 40, 0.1, 0.0, 1.0, 0.02)) == pytest.approx(
        42 * math.exp(-0.02) - 40 * math.exp(-0.1), rel=1e-14
    )
    assert float(bsm_price("put", 42, 40, 0.1, 0.0, 1.0)) == 0.0
    # at the money with no volatility: worth zero, no NaN anywhere
    g = bsm_greeks("call", 40, 40, 0.0, 0.0, 1.0)
    assert all(np.isfinite(x) for x in g)
    assert float(g.price) == 0.0 and float(g.gamma) == 0.0
    # S = 0 and K = 0 are fine too
    assert float(bsm_price("call", 0, 40, 0.1, 0.2, 1)) == 0.0
    assert float(bsm_price("call", 42, 0, 0.1, 0.2, 1, 0.05)) == pytest.approx(42 * math.exp(-0.05), rel=1e-15)
    assert all(np.isfinite(x) for x in bsm_greeks("put", 0, 0, 0.1, 0.2, 0))


def test_near_limits_converge_to_limits() -> None:
    near = float(bsm_price("call", 42, 40, 0.1, 1e-9, 1.0))
    assert near == pytest.approx(42 - 40 * math.exp(-0.1), rel=1e-12)
    assert float(bsm_price("call", 42, 40, 0.1, 0.2, 1e-14)) == pytest.approx(2.0, rel=1e-9)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("spot", {"spot": -1.0}),
        ("strike", {"strike": -0.01}),
        ("volatility", {"volatility": -0.2}),
        ("expiry_years", {"expiry_years": -1.0}),
        ("rate", {"rate": math.nan}),
        ("dividend_yield", {"dividend_yield": math.inf}),
        ("spot", {"spot": [1.0, -2.0]}),
    ],
)
def test_bad_inputs_name_the_field(field: str, kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {
        "spot": 42.0,
        "strike": 40.0,
        "rate": 0.1,
        "volatility": 0.2,
        "expiry_years": 0.5,
        "dividend_yield": 0.0,
    }
    args.update(kwargs)
    with pytest.raises(ValuationInputError) as caught:
        bsm_price("call", **args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)


def test_bad_right_and_style() -> None:
    with pytest.raises(ValuationInputError, match="right"):
        bsm_price("straddle", 42, 40, 0.1, 0.2, 0.5)
    with pytest.raises(ValuationInputError) as caught:
        price_bsm(OptionTerms("call", "american", 40, 0.5), MarketData(42, 0.1, 0.2))
    assert caught.value.field == "style"
    with pytest.raises(ValueError):
        OptionTerms("call", "bermudan", 40, 0.5)  # type: ignore[arg-type]


def test_engine_on_terms_and_market_data() -> None:
    value = price_bsm(OptionTerms("put", "european", 40, 0.5), MarketData(42, 0.1, 0.2))
    assert value.price == pytest.approx(black_scholes(False, 42, 40, 0.1, 0.2, 0.5), rel=1e-12)
    assert -1.0 < value.delta < 0.0 < value.gamma
