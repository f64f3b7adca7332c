"""Independent references for the valuation tests: textbook formulas written out with the math module.

Nothing here imports `valuation`, so a test that compares against these compares two implementations.
"""

from __future__ import annotations

import math


def norm_cdf(x: float) -> float:
    """N(x) through the complementary error function (accurate in both tails)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def black_scholes(call: bool, s: float, k: float, r: float, sigma: float, t: float, q: float = 0.0) -> float:
    """Hull's Black-Scholes-Merton formula with a continuous dividend yield (σ > 0, T > 0, S > 0, K > 0)."""
    d1 = (math.log(s / k) + (r - q + 0.5 * sigma * sigma) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if call:
        return s * math.exp(-q * t) * norm_cdf(d1) - k * math.exp(-r * t) * norm_cdf(d2)
    return k * math.exp(-r * t) * norm_cdf(-d2) - s * math.exp(-q * t) * norm_cdf(-d1)
