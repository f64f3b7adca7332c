"""The waterfall, OPM and backsolve against cases worked by hand."""

from __future__ import annotations

import math

import pytest

from tests.unit.valuation.reference import black_scholes
from tests.unit.valuation.test_captable import SAMPLE
from valuation.pricing import (
    ValuationInputError,
    backsolve,
    breakpoints,
    distribute,
    parse_cap_table,
    tranches,
    value_classes,
)


def call(v: float, strike: float, r: float, sigma: float, t: float) -> float:
    """C(V, B): the total equity value as the underlying, no dividends; C(V, 0) = V."""
    return v if strike == 0 else black_scholes(True, v, strike, r, sigma, t)


def test_sample_breakpoints_worked_by_hand() -> None:
    # B (seniority 1): preference 1,000,000 × 3.00 = 3,000,000, paid first        -> 3,000,000
    # A (seniority 2): preference 2,000,000 × 1.00 = 2,000,000                     -> 5,000,000
    # then per common-equivalent share p, with common 8M and B 1M participating (9M):
    #   esop joins at p = 0.50: 5,000,000 + 9,000,000 × 0.5                        -> 9,500,000
    #   A converts at p = 1.00 (its 1.00 preference): + 9,500,000 × 0.5            -> 14,250,000
    #   B's cap binds at p = 9.00 − 3.00 = 6 (cap 3 × 3.00): + 11,500,000 × 5     -> 71,750,000
    #   B converts at p = 9.00, where common pays what the cap does: + 10,500,000 × 3 -> 103,250,000
    table = parse_cap_table(SAMPLE)
    assert breakpoints(table) == pytest.approx([3e6, 5e6, 9.5e6, 14.25e6, 71.75e6, 103.25e6], rel=1e-15)
    parts = tranches(table)
    assert parts[0].allocation == {"B": 1.0}
    assert parts[1].allocation == {"A": 1.0}
    assert parts[2].allocation == pytest.approx({"common": 8 / 9, "B": 1 / 9})
    assert parts[3].allocation == pytest.approx({"common": 8 / 9.5, "B": 1 / 9.5, "esop": 0.5 / 9.5})
    assert parts[4].allocation == pytest.approx({"common": 8 / 11.5, "A": 2 / 11.5, "B": 1 / 11.5, "esop": 0.5 / 11.5})
    assert parts[5].allocation == pytest.approx({"common": 8 / 10.5, "A": 2 / 10.5, "esop": 0.5 / 10.5})
    assert parts[6].upper == math.inf and parts[6].allocation == parts[4].allocation


def test_exit_payouts_worked_by_hand() -> None:
    table = parse_cap_table(SAMPLE)
    # At 100,000,000: in the capped tranche, p = 6 + (100,000,000 − 71,750,000) / 10,500,000.
    p = 6 + 28_250_000 / 10_500_000
    payout = distribute(table, 100_000_000)
    assert payout == pytest.approx({"common": 8e6 * p, "A": 2e6 * p, "B": 9e6, "esop": 0.5e6 * (p - 0.5)}, rel=1e-12)
    # At 4,000,000: B's 3,000,000 preference in full, A gets the remaining 1,000,000, nobody else anything.
    assert distribute(table, 4_000_000) == pytest.approx({"common": 0, "A": 1e6, "B": 3e6, "esop": 0})


def test_equal_seniority_is_pari_passu() -> None:
    table = parse_cap_table(
        {
            "classes": [
                {"name": "common", "shares": 1000},
                {"name": "A", "shares": 100, "preference": {"price": "20", "seniority": 1}},
                {"name": "B", "shares": 100, "preference": {"price": "10", "seniority": 1}},
                {"name": "C", "shares": 100, "preference": {"price": "5", "multiple": 2, "seniority": 2}},
            ]
        }
    )
    assert distribute(table, 1500) == pytest.approx({"common": 0, "A": 1000, "B": 500, "C": 0})
    assert distribute(table, 3500) == pytest.approx({"common": 0, "A": 2000, "B": 1000, "C": 500})


def test_backsolve_worked_by_hand() -> None:
    # Common 1,000,000 and series A 1,000,000 non-participating at 1.00 (1×). Breakpoints:
    #   1,000,000 (A's preference paid); common alone until p = 1.00, where A converts: 2,000,000.
    # Tranches: [0, 1M) all A; [1M, 2M) all common; [2M, ∞) half each. So, per share,
    #   A      = (V − C(1M) + ½·C(2M)) / 1M,     common = (C(1M) − C(2M) + ½·C(2M)) / 1M.
    table = parse_cap_table(
        {
            "classes": [
                {"name": "common", "shares": 1_000_000},
                {"name": "A", "shares": 1_000_000, "preference": {"price": "1.00", "participating": False}},
            ]
        }
    )
    r, sigma, t, v = 0.03, 0.5, 2.0, 1_500_000.0
    c1, c2 = call(v, 1e6, r, sigma, t), call(v, 2e6, r, sigma, t)
    price_a = (v - c1 + 0.5 * c2) / 1e6
    common = (c1 - 0.5 * c2) / 1e6

    result = backsolve(table, "A", price_a, rate=r, volatility=sigma, years=t)
    assert result.breakpoints == pytest.approx((1e6, 2e6))
    assert result.equity_value == pytest.approx(v, rel=1e-9)
    assert result.per_share["A"] == pytest.approx(price_a, rel=1e-12)
    assert result.per_share["common"] == pytest.approx(common, rel=1e-9)


def test_sample_backsolve_conserves_value_and_applies_dlom_to_common() -> None:
    table = parse_cap_table(SAMPLE)
    result = backsolve(table, "B", 3.00, rate=0.025, volatility=0.6, years=3.0, dlom=0.2)
    assert result.marketable_per_share["B"] == pytest.approx(3.00, rel=1e-10)
    assert sum(result.opm.values.values()) == pytest.approx(result.equity_value, rel=1e-12)
    assert result.per_share["common"] == pytest.approx(0.8 * result.marketable_per_share["common"], rel=1e-15)
    assert result.per_share["A"] == result.marketable_per_share["A"]
    assert result.discounted_classes == frozenset({"common"})
    # junior and cheaper: common below A below B; the in-the-money options below common
    ps = result.marketable_per_share
    assert ps["esop"] < ps["common"] < ps["A"] < ps["B"]
    # and the same equity value read forward gives the same values
    forward = value_classes(table, result.equity_value, rate=0.025, volatility=0.6, years=3.0)
    assert forward.per_share == pytest.approx(dict(result.marketable_per_share), rel=1e-12)


def test_backsolve_errors_name_the_field() -> None:
    table = parse_cap_table(SAMPLE)
    cases = [
        ({"class_name": "C", "price": 1.0}, "class_name"),
        ({"class_name": "B", "price": 0.0}, "price"),
        ({"class_name": "B", "price": -3.0}, "price"),
        ({"class_name": "B", "price": 3.0, "dlom": 1.0}, "dlom"),
        ({"class_name": "B", "price": 3.0, "dlom_classes": ["D"]}, "dlom_classes"),
        ({"class_name": "B", "price": 3.0, "volatility": -0.1}, "volatility"),
    ]
    for kwargs, field in cases:
        args = {"rate": 0.03, "volatility": 0.5, "years": 2.0} | kwargs
        with pytest.raises(ValuationInputError) as caught:
            backsolve(table, **args)  # type: ignore[arg-type]
        assert caught.value.field == field
