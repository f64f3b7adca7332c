"""Monte Carlo pricing of European options, including a strike set by a future financing round.

The share follows the same risk-neutral geometric Brownian motion as in Black-Scholes, simulated
exactly (no time-stepping error): over a period τ, S ← S·exp((r − q − σ²/2)τ + σ√τ·Z), Z ~ N(0, 1).

Why simulate at all? A venture warrant's strike is often unknown today: "the next round's price less
20%, capped at a 50,000,000 valuation". The engine simulates the share price at the round date (the
round is assumed to price shares at their value then, S_round), fixes the strike as
min(S_round·(1 − discount), cap price), carries on to expiry and averages the discounted payoffs.

Variance reduction: antithetic variates. Each normal draw Z is used twice, as Z and −Z; the two
payoffs are averaged into one sample, and the standard error is the standard deviation of those pair
averages over √(number of pairs) (they are independent; the two halves of a pair are not, which is
the point). Results are reproducible: the same seed gives the same price (numpy's PCG64 `Generator`),
and draws are made in fixed-size chunks so memory stays bounded for any number of paths.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from valuation.pricing._arrays import FloatArray
from valuation.pricing.errors import ValuationInputError
from valuation.pricing.market import MarketData
from valuation.pricing.terms import OptionTerms, Right, RoundLinkedOption, Style

__all__ = ["MonteCarloResult", "price_monte_carlo"]

_CHUNK_SAMPLES = 1 << 18


class MonteCarloResult(NamedTuple):
    """Estimated price, its standard error (one standard deviation of the estimate) and the paths used."""

    price: float
    std_error: float
    paths: int


class _Running:
    """Count, mean and sum of squared deviations, merged chunk by chunk (Chan et al.), for a stable variance."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, samples: FloatArray) -> None:
        n = samples.size
        mean = float(samples.mean())
        m2 = float(np.square(samples - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.count * n / total
        self.count = total


def _grow(spot: FloatArray | float, market: MarketData, years: float, z: FloatArray) -> FloatArray:
    drift = (market.rate - market.dividend_yield - 0.5 * market.volatility**2) * years
    grown: FloatArray = spot * np.exp(drift + market.volatility * math.sqrt(years) * z)
    return grown


def price_monte_carlo(
    terms: OptionTerms | RoundLinkedOption,
    market: MarketData,
    *,
    paths: int,
    seed: int,
    antithetic: bool = True,
) -> MonteCarloResult:
    """Price a European option by simulation; the strike may be fixed by a future round.

    Args:
        terms: `OptionTerms` (European, fixed strike) or `RoundLinkedOption` (strike set by the next round).
        market: spot, rate, volatility and dividend yield today.
        paths: number of simulated paths (with antithetic variates, rounded up to an even number).
        seed: seed of numpy's PCG64 generator; the same seed gives the same result.
        antithetic: pair every draw with its mirror image (on by default).

    Raises:
        ValuationInputError: American terms (field `style`), or bad `paths`/`seed`.
    """
    if isinstance(paths, bool) or not isinstance(paths, int) or paths < 2:
        raise ValuationInputError("paths", f"must be an integer of at least 2, got {paths!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValuationInputError("seed", f"must be a non-negative integer, got {seed!r}")
    if isinstance(terms, OptionTerms) and terms.style is not Style.EUROPEAN:
        raise ValuationInputError("style", "the Monte Carlo engine prices European options; use the binomial engine")

    phi = 1.0 if terms.right is Right.CALL else -1.0
    expiry = terms.expiry_years
    discount = math.exp(-market.rate * expiry)
    generator = np.random.default_rng(seed)
    samples = -(-paths // 2) if antithetic else paths
    stats = _Running()

    def payoff(z: FloatArray) -> FloatArray:
        if isinstance(terms, OptionTerms):
            strike: FloatArray | float = terms.strike
            final = _grow(market.spot, market, expiry, z[:, 0])
        else:
            rule = terms.strike_rule
            at_round = _grow(market.spot, market, rule.round_years, z[:, 0])
            strike = at_round * (1.0 - rule.discount)
            if rule.cap_price is not None:
                strike = np.minimum(strike, rule.cap_price)
            final = _grow(at_round, market, expiry - rule.round_years, z[:, 1])
        values: FloatArray = np.maximum(phi * (final - strike), 0.0)
        return values

    dimensions = 1 if isinstance(terms, OptionTerms) else 2
    for start in range(0, samples, _CHUNK_SAMPLES):
        z = generator.standard_normal((min(_CHUNK_SAMPLES, samples - start), dimensions))
        values = 0.5 * (payoff(z) + payoff(-z)) if antithetic else payoff(z)
        stats.add(discount * values)
    std_error = math.sqrt(stats.m2 / (stats.count - 1) / stats.count) if stats.count > 1 else 0.0
    return MonteCarloResult(stats.mean, std_error, samples * 2 if antithetic else samples)
