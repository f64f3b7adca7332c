"""Finnerty's (2012) average-strike put DLOM against the paper's formula written out here."""

from __future__ import annotations

import math

import pytest

from tests.unit.valuation.reference import norm_cdf
from valuation.pricing import ValuationInputError, finnerty_dlom


def finnerty(sigma: float, t: float, q: float = 0.0) -> float:
    """Finnerty 2012, eq. 9, literally (fine for moderate σ²T)."""
    x = sigma * sigma * t
    v_sqrt_t = math.sqrt(x + math.log(2 * (math.exp(x) - x - 1)) - 2 * math.log(math.exp(x) - 1))
    return math.exp(-q * t) * (norm_cdf(v_sqrt_t / 2) - norm_cdf(-v_sqrt_t / 2))


@pytest.mark.parametrize(("sigma", "t", "q"), [(0.3, 1.0, 0.0), (0.6, 2.0, 0.0), (0.45, 4.0, 0.02), (0.9, 0.5, 0.0)])
def test_matches_the_paper_formula(sigma: float, t: float, q: float) -> None:
    assert finnerty_dlom(sigma, t, q) == pytest.approx(finnerty(sigma, t, q), rel=1e-10)


def test_limits() -> None:
    assert finnerty_dlom(0.0, 3.0) == 0.0
    # small σ²T: the average of a Brownian path has variance σ²T/3, so D ≈ 2N(σ√T/(2√3)) − 1
    sigma, t = 1e-4, 1.0
    assert finnerty_dlom(sigma, t) == pytest.approx(2 * norm_cdf(sigma / (2 * math.sqrt(3))) - 1, rel=1e-6)
    # large σ²T: bounded by 2N(√(ln 2)/2) − 1 ≈ 32.3%
    assert finnerty_dlom(5.0, 100.0) == pytest.approx(2 * norm_cdf(math.sqrt(math.log(2)) / 2) - 1, rel=1e-12)
    # continuous across the switch between formulas
    for x in (1e-2, 1.0):
        assert finnerty_dlom(math.sqrt(x * (1 - 1e-12)), 1.0) == pytest.approx(
            finnerty_dlom(math.sqrt(x), 1.0), rel=1e-9
        )


def test_increases_with_volatility_and_time() -> None:
    values = [finnerty_dlom(s, 2.0) for s in (0.1, 0.3, 0.6, 1.0)]
    assert values == sorted(values)
    values = [finnerty_dlom(0.5, t) for t in (0.25, 1, 3, 7)]
    assert values == sorted(values)


def test_rejects_negative_inputs() -> None:
    with pytest.raises(ValuationInputError) as caught:
        finnerty_dlom(-0.1, 1.0)
    assert caught.value.field == "volatility"
