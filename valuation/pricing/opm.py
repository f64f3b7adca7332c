"""The option-pricing method (OPM) for a private company's share classes, and its backsolve.

Idea: the classes of a venture-backed company are claims on one underlying, the company's equity
value at exit. Each tranche of the waterfall (`valuation.pricing.waterfall`), the slice of exit value
between breakpoints B_i and B_(i+1), is worth today a *call spread*: C(V, B_i) − C(V, B_(i+1)), with
C the Black-Scholes call on the total equity value V, no dividends, the risk-free rate r, the equity
volatility σ and the time T to the expected exit (C(V, 0) = V; the last tranche has no upper leg).
A class is worth its fractions of those spreads. This is the AICPA practice aid's OPM.

Backsolve: the one observable price is usually the latest round's issue price of its own preferred
class. `backsolve` finds (Brent's method, scipy.optimize.brentq) the total equity value V at which
the OPM values that class at exactly its round price, then reads every other class off the same V;
that is how ASC 820 / IFRS 13 and 409A practice calibrate to a transaction. The class value is
strictly increasing in V (each call spread is), so the root is unique; the bracket starts at 0,
where every class is worth 0, and doubles until the class is worth more than the price.

A discount for lack of marketability (e.g. `valuation.pricing.dlom.finnerty_dlom`) may then apply to the
classes the holder cannot sell (common stock by default); the target class is solved before it.
All values are float64: the caller converts to money and rounds once, explicitly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq  # type: ignore[import-untyped,unused-ignore]

from valuation.pricing._arrays import FloatArray
from valuation.pricing.bsm import bsm_price
from valuation.pricing.captable import CapTable
from valuation.pricing.errors import ValuationInputError
from valuation.pricing.terms import Right, check_finite, check_non_negative
from valuation.pricing.waterfall import Tranche, tranches

__all__ = ["BacksolveResult", "OpmResult", "backsolve", "value_classes"]

_MAX_DOUBLINGS = 200


@dataclass(frozen=True, slots=True)
class OpmResult:
    """The OPM at one equity value: the tranches, what each is worth, and every class's value.

    `values` is each class's (or pool's) total value; `per_share` divides it by its shares (options).
    """

    equity_value: float
    breakpoints: tuple[float, ...]
    tranches: tuple[Tranche, ...]
    tranche_values: tuple[float, ...]
    values: Mapping[str, float]
    per_share: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class BacksolveResult:
    """A backsolve: the equity value that prices `class_name` at `price`, and every class at that value.

    `marketable_per_share` is the OPM value per share; `per_share` applies `dlom` (a fraction) to the
    classes in `discounted_classes` and equals the marketable value for the others.
    """

    class_name: str
    price: float
    equity_value: float
    breakpoints: tuple[float, ...]
    marketable_per_share: Mapping[str, float]
    per_share: Mapping[str, float]
    dlom: float
    discounted_classes: frozenset[str]
    opm: OpmResult


@dataclass(frozen=True, slots=True)
class _Model:
    """A cap table's tranches in array form, built once and evaluated at many equity values."""

    cap_table: CapTable
    tranches: tuple[Tranche, ...]
    strikes: FloatArray  # tranche lower bounds
    fractions: FloatArray  # (tranches, holders)
    shares: FloatArray  # (holders,)
    rate: float
    volatility: float
    years: float

    @classmethod
    def build(cls, cap_table: CapTable, rate: float, volatility: float, years: float) -> _Model:
        parts = tranches(cap_table)
        holders = cap_table.holders
        fractions = np.array([[t.allocation.get(name, 0.0) for name in holders] for t in parts])
        shares = np.array([cap_table.shares_of(name) for name in holders])
        strikes = np.array([t.lower for t in parts])
        return cls(cap_table, parts, strikes, fractions, shares, rate, volatility, years)

    def tranche_values(self, equity_value: float) -> FloatArray:
        calls = bsm_price(Right.CALL, equity_value, self.strikes, self.rate, self.volatility, self.years)
        spreads: FloatArray = calls - np.append(calls[1:], 0.0)  # C(V, B_i) − C(V, B_(i+1)); none above the top
        return spreads

    def per_share(self, equity_value: float) -> FloatArray:
        result: FloatArray = self.tranche_values(equity_value) @ self.fractions / self.shares
        return result

    def result(self, equity_value: float) -> OpmResult:
        spreads = self.tranche_values(equity_value)
        values = spreads @ self.fractions
        holders = self.cap_table.holders
        return OpmResult(
            equity_value=equity_value,
            breakpoints=tuple(float(b) for b in self.strikes if b > 0.0),
            tranches=self.tranches,
            tranche_values=tuple(float(v) for v in spreads),
            values={name: float(v) for name, v in zip(holders, values, strict=True)},
            per_share={name: float(v) for name, v in zip(holders, values / self.shares, strict=True)},
        )


def _assumptions(rate: float, volatility: float, years: float) -> tuple[float, float, float]:
    return check_finite("rate", rate), check_non_negative("volatility", volatility), check_non_negative("years", years)


def value_classes(
    cap_table: CapTable, equity_value: float, *, rate: float, volatility: float, years: float
) -> OpmResult:
    """Every class's OPM value at a given total equity value (no backsolve).

    Args:
        cap_table: the company's classes and option pools.
        equity_value: total equity value V today.
        rate: continuously compounded risk-free rate to the exit.
        volatility: annual volatility of the total equity value.
        years: time to the expected exit (liquidity event) in years from the valuation date.
    """
    value = check_non_negative("equity_value", equity_value)
    return _Model.build(cap_table, *_assumptions(rate, volatility, years)).result(value)


def backsolve(
    cap_table: CapTable,
    class_name: str,
    price: float,
    *,
    rate: float,
    volatility: float,
    years: float,
    dlom: float = 0.0,
    dlom_classes: Iterable[str] | None = None,
) -> BacksolveResult:
    """Solve the equity value at which `class_name` is worth `price` per share, and value every class.

    Args:
        cap_table: the company's classes and option pools.
        class_name: the class the observed price is for (usually the latest round's preferred).
        price: the observed price per share of that class (the round's issue price).
        rate, volatility, years: as in `value_classes`.
        dlom: discount for lack of marketability as a fraction in [0, 1), e.g. from `finnerty_dlom`.
        dlom_classes: the classes and pools it applies to; by default every class without a preference.

    Raises:
        ValuationInputError: unknown class (`class_name`), a price that is not positive or that no equity
            value reproduces (`price`), bad assumptions or `dlom`.
    """
    assumptions = _assumptions(rate, volatility, years)
    cap_table.share_class(class_name)
    target = check_finite("price", price)
    if target <= 0.0:
        raise ValuationInputError("price", f"must be positive to be reproduced by an equity value, got {price!r}")
    discount = check_non_negative("dlom", dlom)
    if discount >= 1.0:
        raise ValuationInputError("dlom", f"is a fraction below 1, got {dlom!r}")
    if dlom_classes is None:
        discounted = frozenset(c.name for c in cap_table.classes if c.preference is None)
    else:
        discounted = frozenset(dlom_classes)
        unknown = sorted(discounted - set(cap_table.holders))
        if unknown:
            raise ValuationInputError("dlom_classes", f"unknown class or option pool {unknown[0]!r}")

    model = _Model.build(cap_table, *assumptions)
    column = cap_table.holders.index(class_name)

    def excess(equity_value: float) -> float:
        return float(model.per_share(equity_value)[column]) - target

    high = max(target * sum(c.as_converted_shares for c in cap_table.classes), 1.0)
    for _ in range(_MAX_DOUBLINGS):
        if excess(high) > 0.0:
            break
        high *= 2.0
    else:
        raise ValuationInputError("price", f"no equity value up to {high:.6g} prices {class_name!r} at {price!r}")
    equity_value: float = brentq(excess, 0.0, high, xtol=1e-12 * high, rtol=4 * np.finfo(float).eps, maxiter=500)
    if not math.isclose(excess(equity_value) + target, target, rel_tol=1e-9, abs_tol=1e-12):
        raise ValuationInputError("price", f"the model cannot reproduce {price!r} for {class_name!r}")
    opm = model.result(equity_value)
    per_share = {
        name: value * (1.0 - discount) if name in discounted else value for name, value in opm.per_share.items()
    }
    return BacksolveResult(
        class_name=class_name,
        price=target,
        equity_value=equity_value,
        breakpoints=opm.breakpoints,
        marketable_per_share=opm.per_share,
        per_share=per_share,
        dlom=discount,
        discounted_classes=discounted,
        opm=opm,
    )
