"""Discount for lack of marketability (DLOM): Finnerty's average-strike put (Finnerty 2012).

A minority holder of a private company's shares cannot sell them when they like. Finnerty values
that loss as an average-strike put: the right to sell at the *average* price over the restriction
period rather than whatever the price happens to be at its end, which is what a holder who could
sell steadily along the way would get. As a fraction of the marketable value (Finnerty 2012,
"An average-strike put option model of the marketability discount", eq. 9):

    D(T) = e^(−qT) · [N(v√T/2) − N(−v√T/2)]
    v√T  = √( σ²T + ln[2(e^(σ²T) − σ²T − 1)] − 2·ln[e^(σ²T) − 1] )

with σ the volatility, T the restriction period in years, q the dividend yield. It grows with σ and
T but never exceeds 2N(√(ln 2)/2) − 1 ≈ 32.3% however large they get (unlike a plain protective put,
which tends to 100%), one reason it is a common choice for the 10–35% discounts practice applies. For small σ²T the
two logarithms nearly cancel and for large σ²T they overflow; both cases are rewritten to avoid that.
"""

from __future__ import annotations

import math

from scipy.special import ndtr  # type: ignore[import-untyped,unused-ignore]

from valuation.pricing.terms import check_finite, check_non_negative

__all__ = ["finnerty_dlom"]


def _log_ratio(x: float) -> float:
    """ln[2(e^x − x − 1)] − 2·ln[e^x − 1], without cancellation for small x or overflow for large x."""
    if x > 1.0:
        # = ln 2 − x + ln(1 − (x+1)e^(−x)) − 2·ln(1 − e^(−x)): nothing overflows however large σ²T is
        tail = math.exp(-x)
        return math.log(2.0) - x + math.log1p(-(x + 1.0) * tail) - 2.0 * math.log1p(-tail)
    if x > 1e-2:
        return math.log(2.0 * (math.expm1(x) - x)) - 2.0 * math.log(math.expm1(x))
    # 2(e^x − x − 1) = x²·(1 + x/3 + x²/12 + ...) and (e^x − 1)² = x²·(1 + x/2 + x²/6 + ...)²: the x² cancel
    # exactly; summed to x⁷ the series are exact to double precision for x ≤ 0.01.
    numerator = sum(x**n * 2.0 / math.factorial(n + 2) for n in range(1, 8))
    root = sum(x**n / math.factorial(n + 1) for n in range(1, 8))
    return math.log1p(numerator) - 2.0 * math.log1p(root)


def finnerty_dlom(volatility: float, years: float, dividend_yield: float = 0.0) -> float:
    """Finnerty's (2012) marketability discount as a fraction of the marketable value (0.2 means 20%).

    Args:
        volatility: annual volatility σ of the share (≥ 0).
        years: restriction period T in years until the holder can sell (≥ 0).
        dividend_yield: continuous dividend yield q.
    """
    sigma = check_non_negative("volatility", volatility)
    t = check_non_negative("years", years)
    q = check_finite("dividend_yield", dividend_yield)
    x = sigma * sigma * t
    if x == 0.0:
        return 0.0
    half = 0.5 * math.sqrt(max(x + _log_ratio(x), 0.0))
    return math.exp(-q * t) * float(ndtr(half) - ndtr(-half))
