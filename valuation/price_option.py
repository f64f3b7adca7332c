"""Ad-hoc option pricing with a chosen engine: what `PriceOption` and `toudai value option|warrant` run.

No state and no I/O: it picks the `valuation` engine for the model, applies the documented defaults
(binomial 500 steps, Monte Carlo 100,000 paths and seed 0) and returns floats. The binomial engine uses
the risk-neutral CRR tree (Hull's); Monte Carlo is antithetic. Bad inputs raise
`valuation.ValuationInputError` naming the field (`years` for the time to expiry).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from valuation.pricing import (
    MarketData,
    OptionTerms,
    Right,
    Style,
    ValuationInputError,
    WarrantTerms,
    price_bsm,
    price_crr,
    price_monte_carlo,
    warrant_value,
)

__all__ = ["DEFAULT_PATHS", "DEFAULT_STEPS", "Model", "Priced", "price_option"]

DEFAULT_STEPS = 500
DEFAULT_PATHS = 100_000


class Model(enum.StrEnum):
    BSM = "bsm"
    BINOMIAL = "binomial"
    MC = "mc"
    WARRANT = "warrant"


@dataclass(frozen=True, slots=True)
class Priced:
    """A price with what the engine gives besides: greeks (bsm) or a standard error (mc)."""

    engine: str
    price: float
    delta: float | None = None
    gamma: float | None = None
    vega: float | None = None
    theta: float | None = None
    rho: float | None = None
    std_error: float | None = None
    paths: int | None = None
    steps: int | None = None


def price_option(
    model: Model | str,
    *,
    right: Right | str,
    style: Style | str,
    spot: float,
    strike: float,
    rate: float,
    volatility: float,
    years: float,
    dividend_yield: float = 0.0,
    steps: int | None = None,
    paths: int | None = None,
    seed: int | None = None,
    shares_outstanding: float | None = None,
    new_shares: float | None = None,
) -> Priced:
    """Price one option with `model`; see the module docstring for the defaults."""
    try:
        chosen = Model(model)
    except ValueError:
        raise ValuationInputError("model", f"must be one of {[m.value for m in Model]}, got {model!r}") from None
    try:
        terms = OptionTerms(Right(right), Style(style), strike, years)
    except ValuationInputError as error:
        if error.field == "expiry_years":
            raise ValuationInputError("years", error.message) from None
        raise
    except ValueError as error:
        raise ValuationInputError("right" if str(right) not in ("call", "put") else "style", str(error)) from None
    market = MarketData(spot=spot, rate=rate, volatility=volatility, dividend_yield=dividend_yield)
    if chosen is Model.BSM:
        v = price_bsm(terms, market)
        return Priced("bsm", v.price, v.delta, v.gamma, v.vega, v.theta, v.rho)
    if chosen is Model.BINOMIAL:
        n = DEFAULT_STEPS if steps is None else steps
        return Priced("crr", price_crr(terms, market, n), steps=n)
    if chosen is Model.MC:
        result = price_monte_carlo(
            terms, market, paths=DEFAULT_PATHS if paths is None else paths, seed=0 if seed is None else seed
        )
        return Priced("monte_carlo", result.price, std_error=result.std_error, paths=result.paths)
    if shares_outstanding is None:
        raise ValuationInputError("shares_outstanding", "is required for a warrant")
    warrant = WarrantTerms(terms, shares_outstanding, 0.0 if new_shares is None else new_shares)
    return Priced("warrant", warrant_value(warrant, market))
