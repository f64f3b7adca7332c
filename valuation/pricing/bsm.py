"""Black-Scholes-Merton prices and greeks of European options, vectorized over numpy arrays.

The model: the share follows a geometric Brownian motion with constant volatility σ under the
risk-neutral measure, pays a continuous dividend yield q, and money earns a continuous rate r. With
discounted forward F = S·e^(−qT), discounted strike X = K·e^(−rT), total volatility v = σ√T and
d1 = ln(F/X)/v + v/2, d2 = d1 − v, one formula prices both rights (φ = +1 for a call, −1 for a put):

    price = φ · (F·N(φ·d1) − X·N(φ·d2))

Greeks, in the units QuantLib and Hull use (none is scaled to "per 1%" or "per day"):

- delta = ∂V/∂S, gamma = ∂²V/∂S²;
- vega = ∂V/∂σ, per 1.00 of volatility (divide by 100 for "per vol point");
- theta = −∂V/∂T, per year (time passing lowers T; divide by 365 for "per calendar day");
- rho = ∂V/∂r, per 1.00 of rate (divide by 10,000 for "per basis point").

Limits: as σ√T → 0 the price tends to the discounted forward intrinsic value φ·(F − X)⁺, and at T = 0
to the intrinsic value (S − K)⁺ or (K − S)⁺; the formulas below reach those limits without dividing
by zero (d1 becomes ±∞, or 0 exactly at the money). Gamma there is reported as 0 (it is a Dirac mass
at the money), and theta omits the −S·n(d1)·σ/(2√T) term at T = 0, where it has no finite limit at
the money. Every input broadcasts with the others, so a million options cost a few dozen numpy
operations; `scipy.special.ndtr` is the normal CDF (accurate in the tails, unlike 1 − erf tricks).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr  # type: ignore[import-untyped,unused-ignore]

from valuation.pricing._arrays import FloatArray, RightLike, finite, non_negative, sign_of_right
from valuation.pricing.errors import ValuationInputError
from valuation.pricing.market import MarketData
from valuation.pricing.terms import OptionTerms, Style

__all__ = ["BsmGreeks", "OptionValue", "bsm_greeks", "bsm_price", "price_bsm"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class BsmGreeks(NamedTuple):
    """Arrays of prices and greeks, element by element for the broadcast inputs (units: see module doc)."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray


class OptionValue(NamedTuple):
    """The value of one option and its greeks (vega, rho per 1.00; theta per year)."""

    price: float
    delta: float
    gamma: float
    vega: float
    theta: float
    rho: float


class _Inputs(NamedTuple):
    phi: FloatArray
    spot: FloatArray
    strike: FloatArray
    rate: FloatArray
    volatility: FloatArray
    years: FloatArray
    dividend_yield: FloatArray


def _checked(
    right: RightLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    rate: npt.ArrayLike,
    volatility: npt.ArrayLike,
    expiry_years: npt.ArrayLike,
    dividend_yield: npt.ArrayLike,
) -> _Inputs:
    inputs = _Inputs(
        sign_of_right(right),
        non_negative("spot", spot),
        non_negative("strike", strike),
        finite("rate", rate),
        non_negative("volatility", volatility),
        non_negative("expiry_years", expiry_years),
        finite("dividend_yield", dividend_yield),
    )
    try:
        np.broadcast_shapes(*(a.shape for a in inputs))
    except ValueError as error:
        raise ValuationInputError("spot", f"input shapes do not broadcast together: {error}") from None
    return inputs


def _d1(fwd_spot: FloatArray, fwd_strike: FloatArray, total_vol: FloatArray) -> FloatArray:
    """d1 = ln(F/X)/v + v/2, with the σ√T → 0 and S = K = 0 limits filled in (±∞, or 0 when F = X)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d1: FloatArray = np.log(fwd_spot / fwd_strike) / total_vol + 0.5 * total_vol
    # NaN appears only for 0/0: F = X with v = 0 (at the money, no volatility), or S = K = 0. Both
    # have value 0; d1 = 0 gives exactly that, and a delta of one half, the symmetric choice.
    if not np.isfinite(d1.min() + d1.max()) and np.isnan(d1).any():
        d1 = np.where(np.isnan(d1), 0.0, d1)
    return d1


def bsm_price(
    right: RightLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    rate: npt.ArrayLike,
    volatility: npt.ArrayLike,
    expiry_years: npt.ArrayLike,
    dividend_yield: npt.ArrayLike = 0.0,
) -> FloatArray:
    """European option prices, element-wise over broadcast arrays (the price only: the fast path).

    Args:
        right: `Right`/"call"/"put", or an array of them, or booleans (True = call).
        spot: share price S ≥ 0.
        strike: strike K ≥ 0.
        rate: continuously compounded risk-free rate r (may be negative).
        volatility: annual volatility σ ≥ 0.
        expiry_years: time to expiry T ≥ 0 in years (ACT/365F from the valuation date).
        dividend_yield: continuous dividend yield q (may be negative).

    Raises:
        ValuationInputError: an input is negative where it must not be, not finite, or shapes don't broadcast.
    """
    phi, s, k, r, sigma, t, q = _checked(right, spot, strike, rate, volatility, expiry_years, dividend_yield)
    total_vol = sigma * np.sqrt(t)
    fwd_spot = s * np.exp(-q * t)
    fwd_strike = k * np.exp(-r * t)
    d1 = _d1(fwd_spot, fwd_strike, total_vol)
    price: FloatArray = phi * (fwd_spot * ndtr(phi * d1) - fwd_strike * ndtr(phi * (d1 - total_vol)))
    return price


def bsm_greeks(
    right: RightLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    rate: npt.ArrayLike,
    volatility: npt.ArrayLike,
    expiry_years: npt.ArrayLike,
    dividend_yield: npt.ArrayLike = 0.0,
) -> BsmGreeks:
    """European option prices with delta, gamma, vega, theta and rho; same arguments as `bsm_price`."""
    phi, s, k, r, sigma, t, q = _checked(right, spot, strike, rate, volatility, expiry_years, dividend_yield)
    sqrt_t = np.sqrt(t)
    total_vol = sigma * sqrt_t
    fwd_spot = s * np.exp(-q * t)
    fwd_strike = k * np.exp(-r * t)
    d1 = _d1(fwd_spot, fwd_strike, total_vol)
    n_d1 = ndtr(phi * d1)
    n_d2 = ndtr(phi * (d1 - total_vol))
    spot_leg = fwd_spot * n_d1
    strike_leg = fwd_strike * n_d2
    price = phi * (spot_leg - strike_leg)
    density = np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
    vega = fwd_spot * density * sqrt_t
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = fwd_spot * density / (s * s * total_vol)
        decay = vega * sigma / (2.0 * t)  # S·e^(−qT)·n(d1)·σ/(2√T), written through vega
    if not np.isfinite(gamma.min() + gamma.max()):
        gamma = np.where(np.isfinite(gamma), gamma, 0.0)
    if not np.isfinite(decay.min() + decay.max()):
        decay = np.where(np.isfinite(decay), decay, 0.0)
    delta = phi * np.exp(-q * t) * n_d1
    theta = -decay + phi * (q * spot_leg - r * strike_leg)
    rho = phi * t * strike_leg
    shape = np.broadcast_shapes(phi.shape, s.shape, k.shape, r.shape, sigma.shape, t.shape, q.shape)
    return BsmGreeks(*(np.broadcast_to(g, shape) for g in (price, delta, gamma, vega, theta, rho)))


def price_bsm(terms: OptionTerms, market: MarketData) -> OptionValue:
    """The Black-Scholes-Merton engine for one European option: price and greeks as floats.

    Raises:
        ValuationInputError: the terms are American (field `style`): use `valuation.pricing.binomial`.
    """
    if terms.style is not Style.EUROPEAN:
        raise ValuationInputError("style", "Black-Scholes-Merton prices European options; use the binomial engine")
    g = bsm_greeks(
        terms.right,
        market.spot,
        terms.strike,
        market.rate,
        market.volatility,
        terms.expiry_years,
        market.dividend_yield,
    )
    return OptionValue(*(float(value) for value in g))
