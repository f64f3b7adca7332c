"""Warrants issued by the company: Black-Scholes adjusted for dilution (Galai-Schneller 1978, Hull).

A warrant differs from a traded call in one way that matters for a start-up: exercising it creates
M new shares and puts the strike's cash into the company, so the holder receives a share of a larger,
diluted company. With N shares outstanding and equity V (which includes the warrants' value, since
the market knows they exist), a warrant pays at expiry

    (V_T + M·K)/(N + M) − K  =  N/(N + M) · (V_T/N − K)

that is, N/(N+M) calls on V/N, the equity per old share. Today V/N = S + M·W/N, where S is the share
price and W the warrant's value, so W solves the fixed point

    W = N/(N + M) · C(S + M·W/N, K)                                   (S already reflects the warrants)

with C the Black-Scholes call (the volatility is that of the equity V). The right side grows with
slope M/(N+M)·Δ < 1 in W, so there is exactly one solution in [0, S]: f(W) = W − right side is
≤ 0 at W = 0 and ≥ 0 at W = S (a call is worth no more than its underlying, C(x) ≤ x).
`warrant_value` brackets that root and solves it with Brent's method (scipy.optimize.brentq): it
never leaves the bracket and converges superlinearly.
`warrant_values` solves many warrants at once by Newton's method from W = 0: f is increasing and
concave (C is convex), so Newton's iterates rise monotonically to the root without overshooting.

When S does *not* yet reflect the warrants (pricing a new issue before the market knows of it, Hull's
"cost to the company"), the value is simply N/(N+M) · C(S, K): `warrant_value_hull`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq  # type: ignore[import-untyped,unused-ignore]

from valuation.pricing._arrays import FloatArray, non_negative
from valuation.pricing.bsm import bsm_greeks, bsm_price
from valuation.pricing.errors import ValuationInputError
from valuation.pricing.market import MarketData
from valuation.pricing.terms import Right, Style, WarrantTerms

__all__ = ["warrant_value", "warrant_value_hull", "warrant_values"]

_MAX_NEWTON_STEPS = 100


def _check_european_call(terms: WarrantTerms) -> None:
    if terms.option.right is not Right.CALL:
        raise ValuationInputError("option.right", "a warrant is a call on new shares")
    if terms.option.style is not Style.EUROPEAN:
        raise ValuationInputError("option.style", "the dilution-adjusted model is European")


def _call(spot: float, terms: WarrantTerms, market: MarketData) -> float:
    return float(
        bsm_price(
            Right.CALL,
            spot,
            terms.option.strike,
            market.rate,
            market.volatility,
            terms.option.expiry_years,
            market.dividend_yield,
        )
    )


def warrant_value_hull(terms: WarrantTerms, market: MarketData) -> float:
    """N/(N+M) · C(S, K): the warrant when the share price S does not yet reflect the warrants."""
    _check_european_call(terms)
    n, m = terms.shares_outstanding, terms.new_shares
    return n / (n + m) * _call(market.spot, terms, market)


def warrant_value(terms: WarrantTerms, market: MarketData) -> float:
    """The value of one warrant when the share price S already reflects the warrants (Galai-Schneller).

    Solves W = N/(N+M) · C(S + M·W/N, K) with Brent's method on the bracket [0, S]; the tolerance is
    about 1e-12 of the share price, far below any rounding to money.
    """
    _check_european_call(terms)
    n, m, s = terms.shares_outstanding, terms.new_shares, market.spot
    if m == 0.0 or s == 0.0:
        return _call(s, terms, market)
    ratio = n / (n + m)

    def excess(w: float) -> float:
        return w - ratio * _call(s + m * w / n, terms, market)

    low = excess(0.0)
    if low >= 0.0:  # the call is worth nothing: so is the warrant
        return 0.0
    if excess(s) <= 0.0:  # only when C(x) = x exactly (K = 0 and no dividends): W = S
        return s
    root: float = brentq(excess, 0.0, s, xtol=1e-12 * s, rtol=4 * np.finfo(float).eps, maxiter=200)
    return root


def warrant_values(
    shares_outstanding: npt.ArrayLike,
    new_shares: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    rate: npt.ArrayLike,
    volatility: npt.ArrayLike,
    expiry_years: npt.ArrayLike,
    dividend_yield: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Many dilution-adjusted warrants at once (S reflects the warrants), by monotone Newton steps from 0.

    Same model as `warrant_value`, for batches (a revaluation of every deal); converges quadratically,
    stops when no warrant moves by more than 1e-13 of its share price.
    """
    n = non_negative("shares_outstanding", shares_outstanding)
    if n.size and not n.min() > 0.0:
        raise ValuationInputError("shares_outstanding", "must be positive")
    m = non_negative("new_shares", new_shares)
    s = non_negative("spot", spot)
    ratio = n / (n + m)
    dilution = m / n
    shapes = (np.shape(a) for a in (strike, rate, volatility, expiry_years, dividend_yield))
    w = np.zeros(np.broadcast_shapes(n.shape, m.shape, s.shape, *shapes))
    for _ in range(_MAX_NEWTON_STEPS):
        g = bsm_greeks(Right.CALL, s + dilution * w, strike, rate, volatility, expiry_years, dividend_yield)
        excess = w - ratio * g.price
        slope = 1.0 - ratio * dilution * g.delta  # ≥ N/(N+M) > 0, since delta ≤ 1
        step = excess / slope
        w = w - step
        if not np.any(np.abs(step) > 1e-13 * np.maximum(s, 1.0)):
            break
    return np.asarray(w, dtype=np.float64)
