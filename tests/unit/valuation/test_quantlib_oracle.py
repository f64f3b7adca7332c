"""QuantLib as an oracle: analytic Black-Scholes prices and greeks, and the CRR binomial tree.

QuantLib is a dev extra. Without it these tests skip locally, but with CI=true they fail: an oracle
that silently goes missing in CI would let the engines drift unnoticed.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import pytest

from valuation.pricing import TreeProbability, bsm_greeks, crr_price

try:
    import QuantLib as _quantlib  # noqa: N813 - module-private alias, None when missing
except ImportError:  # pragma: no cover - exercised only where QuantLib is missing
    _quantlib = None

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DAYS_PER_YEAR = 365.0  # QuantLib's Actual365Fixed, as valuation.pricing.terms uses

# (S, K, r, q, σ, days to expiry)
CASES = [
    (42.0, 40.0, 0.10, 0.00, 0.20, 183),
    (100.0, 120.0, 0.03, 0.02, 0.35, 730),
    (36.0, 40.0, 0.06, 0.00, 0.20, 365),
    (10.0, 8.0, -0.005, 0.01, 0.60, 90),
    (250.0, 240.0, 0.045, 0.07, 0.15, 1825),
]


@pytest.fixture(scope="module")
def ql() -> ModuleType:
    if _quantlib is None:
        if IN_CI:
            pytest.fail("QuantLib is required in CI as the valuation oracle: pip install -e '.[dev]'")
        pytest.skip("QuantLib is not installed (a dev extra)")
    return _quantlib


def _option(ql: Any, call: bool, american: bool, s: float, k: float, r: float, q: float, vol: float, days: int) -> Any:
    today = ql.Date(15, ql.January, 2024)
    ql.Settings.instance().evaluationDate = today  # QuantLib has a global date; this package does not
    dc = ql.Actual365Fixed()
    expiry = today + days
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(s)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc)),
    )
    exercise = ql.AmericanExercise(today, expiry) if american else ql.EuropeanExercise(expiry)
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if call else ql.Option.Put, k)
    return ql.VanillaOption(payoff, exercise), process


@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("case", CASES)
def test_analytic_european_price_and_greeks(ql: Any, call: bool, case: tuple[float, ...]) -> None:
    s, k, r, q, vol, days = case
    option, process = _option(ql, call, False, s, k, r, q, vol, int(days))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    ours = bsm_greeks(call, s, k, r, vol, days / DAYS_PER_YEAR, q)
    # QuantLib's units match ours: vega and rho per 1.00, theta per year (thetaPerDay is theta/365).
    expected = {
        "price": option.NPV(),
        "delta": option.delta(),
        "gamma": option.gamma(),
        "vega": option.vega(),
        "theta": option.theta(),
        "rho": option.rho(),
    }
    for name, value in expected.items():
        assert float(getattr(ours, name)) == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("american", [False, True])
@pytest.mark.parametrize("call", [True, False])
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("steps", [25, 400])
def test_crr_tree_matches_quantlib_node_for_node(
    ql: Any, american: bool, call: bool, case: tuple[float, ...], steps: int
) -> None:
    s, k, r, q, vol, days = case
    option, process = _option(ql, call, american, s, k, r, q, vol, int(days))
    option.setPricingEngine(ql.BinomialVanillaEngine(process, "crr", steps))
    ours = crr_price(
        call,
        "american" if american else "european",
        s,
        k,
        r,
        vol,
        days / DAYS_PER_YEAR,
        q,
        steps=steps,
        probability=TreeProbability.LOG_DRIFT,  # QuantLib's CoxRossRubinstein up-probability
    )
    assert float(ours) == pytest.approx(option.NPV(), rel=1e-9, abs=1e-12)


def test_default_tree_converges_to_quantlib_analytic(ql: Any) -> None:
    s, k, r, q, vol, days = CASES[1]
    option, process = _option(ql, False, False, s, k, r, q, vol, days)
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    tree = crr_price(False, "european", s, k, r, vol, days / DAYS_PER_YEAR, q, steps=2000)
    # CRR's error is O(1/N): about 1e-3 of the price at 2,000 steps is the tree's own convergence.
    assert float(tree) == pytest.approx(option.NPV(), rel=1e-3)
