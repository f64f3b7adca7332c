"""Dilution-adjusted warrants against Hull's example and cases worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.unit.valuation.reference import black_scholes
from valuation.pricing import (
    MarketData,
    OptionTerms,
    ValuationInputError,
    WarrantTerms,
    warrant_value,
    warrant_value_hull,
    warrant_values,
)


def _warrant(strike: float, years: float, n: float, m: float) -> WarrantTerms:
    return WarrantTerms(OptionTerms("call", "european", strike, years), n, m)


def test_hull_cost_of_a_warrant_issue() -> None:
    # Hull: 1,000,000 shares at 40, 200,000 warrants at strike 60 for 5 years, r = 3%, σ = 30%.
    # A regular call is worth 7.04; each warrant 1/1.2 of that, 5.87.
    terms, market = _warrant(60, 5, 1_000_000, 200_000), MarketData(40, 0.03, 0.30)
    assert round(black_scholes(True, 40, 60, 0.03, 0.30, 5), 2) == 7.04
    assert round(warrant_value_hull(terms, market), 2) == 5.87


def test_fixed_point_worked_by_hand_without_volatility() -> None:
    # σ = 0: C(x) = x − K·e^(−rT) when in the money. With N = 1,000,000, M = 250,000, S = 10, K = 5:
    # W = 0.8·(10 + 0.25·W − 5·e^(−rT))  ⇒  0.8·W = 8 − 4·e^(−rT)  ⇒  W = 10 − 5·e^(−rT).
    for r, t in [(0.0, 1.0), (0.05, 2.0)]:
        terms, market = _warrant(5, t, 1_000_000, 250_000), MarketData(10, r, 0.0)
        assert warrant_value(terms, market) == pytest.approx(10 - 5 * math.exp(-r * t), rel=1e-12)


def test_fixed_point_satisfies_the_equation() -> None:
    n, m, s, k, r, sigma, t, q = 10_000_000, 1_500_000, 3.2, 2.5, 0.025, 0.55, 4.0, 0.0
    w = warrant_value(_warrant(k, t, n, m), MarketData(s, r, sigma, q))
    rhs = n / (n + m) * black_scholes(True, s + m * w / n, k, r, sigma, t, q)
    assert w == pytest.approx(rhs, rel=1e-10)
    # dilution lowers the value below a plain call, but not below the Hull simple form's ratio of it
    plain = black_scholes(True, s, k, r, sigma, t, q)
    assert n / (n + m) * plain < w < plain


def test_batched_newton_agrees_with_brent() -> None:
    rng = np.random.default_rng(11)
    size = 40
    n, m = rng.uniform(1e5, 1e7, size), rng.uniform(0, 5e6, size)
    s, k = rng.uniform(0.5, 50, size), rng.uniform(0.5, 50, size)
    sigma, t = rng.uniform(0.05, 1.2, size), rng.uniform(0.1, 10, size)
    batch = warrant_values(n, m, s, k, 0.03, sigma, t)
    for i in range(size):
        one = warrant_value(_warrant(k[i], t[i], n[i], m[i]), MarketData(s[i], 0.03, sigma[i]))
        assert batch[i] == pytest.approx(one, rel=1e-9, abs=1e-12)


def test_no_new_shares_is_a_plain_call() -> None:
    assert warrant_value(_warrant(40, 0.5, 1000, 0), MarketData(42, 0.1, 0.2)) == pytest.approx(
        black_scholes(True, 42, 40, 0.1, 0.2, 0.5), rel=1e-12
    )


def test_errors() -> None:
    with pytest.raises(ValuationInputError) as caught:
        WarrantTerms(OptionTerms("call", "european", 1, 1), 0, 10)
    assert caught.value.field == "shares_outstanding"
    with pytest.raises(ValuationInputError) as caught:
        WarrantTerms(OptionTerms("call", "european", 1, 1), 10, -1)
    assert caught.value.field == "new_shares"
    with pytest.raises(ValuationInputError) as caught:
        warrant_value(WarrantTerms(OptionTerms("put", "european", 1, 1), 10, 1), MarketData(1, 0, 0.2))
    assert caught.value.field == "option.right"
