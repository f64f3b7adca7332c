"""Market data for one underlying, kept apart from instrument terms and engines.

All rates are continuously compounded annual rates, volatility is annualised (0.30 means 30% a year),
and the spot is the value of one share (or, for an OPM, of the whole company's equity) at the
valuation date. Negative interest rates and dividend yields are allowed (they exist: EUR, JPY, CHF;
a negative yield models a borrow fee); negative spot or volatility are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from valuation.pricing.terms import check_finite, check_non_negative

__all__ = ["MarketData"]


@dataclass(frozen=True, slots=True)
class MarketData:
    """Spot, risk-free rate, volatility and dividend yield at the valuation date (all per year, continuous)."""

    spot: float
    rate: float
    volatility: float
    dividend_yield: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "spot", check_non_negative("spot", self.spot))
        object.__setattr__(self, "rate", check_finite("rate", self.rate))
        object.__setattr__(self, "volatility", check_non_negative("volatility", self.volatility))
        object.__setattr__(self, "dividend_yield", check_finite("dividend_yield", self.dividend_yield))
