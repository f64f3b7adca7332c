"""Pure option pricing for the fair-value marks of 投贷联动 option rights (认股选择权).

QuantLib's separation, kept throughout: *instrument terms* (`OptionTerms`, `WarrantTerms`,
`RoundLinkedOption`, `CapTable`) say what is owned; *market data* (`MarketData`, or rate/volatility/
years for an OPM) say what the world looks like at an explicit valuation date; *engines* (functions
`price_bsm`, `price_crr`, `price_monte_carlo`, `warrant_value`, `backsolve`, and the vectorized
`bsm_price`/`bsm_greeks`/`crr_price` kernels) combine the two. Times are years from the valuation
date, ACT/365F (`year_fraction`); rates are continuously compounded.

Everything here is float64 and side-effect free: no I/O, no clock, no grpc, SQL or ledger imports.
Converting a value to money is the caller's job, done once with explicit rounding. Bad inputs raise
`ValuationInputError` (a `ValueError`) naming the field, for the gRPC edge to map to INVALID_ARGUMENT.
docs/valuation.md describes every model, its conventions and its limits.
"""

from valuation.pricing.binomial import TreeProbability, crr_price, price_crr
from valuation.pricing.bsm import BsmGreeks, OptionValue, bsm_greeks, bsm_price, price_bsm
from valuation.pricing.captable import CapTable, OptionPool, Preference, ShareClass, parse_cap_table
from valuation.pricing.dilution import warrant_value, warrant_value_hull, warrant_values
from valuation.pricing.dlom import finnerty_dlom
from valuation.pricing.errors import ValuationError, ValuationInputError
from valuation.pricing.market import MarketData
from valuation.pricing.montecarlo import MonteCarloResult, price_monte_carlo
from valuation.pricing.opm import BacksolveResult, OpmResult, backsolve, value_classes
from valuation.pricing.terms import (
    DAYS_PER_YEAR,
    NextRoundStrike,
    OptionTerms,
    Right,
    RoundLinkedOption,
    Style,
    WarrantTerms,
    year_fraction,
)
from valuation.pricing.waterfall import Tranche, breakpoints, distribute, tranches

__all__ = [
    "DAYS_PER_YEAR",
    "BacksolveResult",
    "BsmGreeks",
    "CapTable",
    "MarketData",
    "MonteCarloResult",
    "NextRoundStrike",
    "OpmResult",
    "OptionPool",
    "OptionTerms",
    "OptionValue",
    "Preference",
    "Right",
    "RoundLinkedOption",
    "ShareClass",
    "Style",
    "Tranche",
    "TreeProbability",
    "ValuationError",
    "ValuationInputError",
    "WarrantTerms",
    "backsolve",
    "breakpoints",
    "bsm_greeks",
    "bsm_price",
    "crr_price",
    "distribute",
    "finnerty_dlom",
    "parse_cap_table",
    "price_bsm",
    "price_crr",
    "price_monte_carlo",
    "tranches",
    "value_classes",
    "warrant_value",
    "warrant_value_hull",
    "warrant_values",
    "year_fraction",
]
