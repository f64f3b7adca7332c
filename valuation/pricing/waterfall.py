"""The exit waterfall of a cap table, as tranches of equity value between breakpoints.

At an exit (sale or liquidation) worth V, each class's payout is a piecewise-linear, non-decreasing
function of V. Its kinks are the *breakpoints*: the points where a preference is fully paid, an
option pool comes into the money, a non-participating class converts, or a participation cap starts
or stops to bind. Between two breakpoints every extra yuan is split in fixed fractions; a `Tranche`
records those fractions. The OPM (`valuation.pricing.opm`) values each tranche as a call spread.

How the breakpoints are found:

1. Preferences, by seniority. Seniority 1 is paid first; within a level, classes share pro rata to
   their preference amounts. Each level with a non-zero amount is one tranche.
2. What is left is shared by everyone who participates, at a common value per as-converted share p.
   Every holder's participation is an interval of p: common stock from 0; an option pool from its
   strike k; non-participating preferred from L/c (L = price × multiple, c = conversion ratio), where
   converting starts to pay; participating preferred from 0 until (cap − L)/c, where its cap binds,
   and again from cap/c, where converting pays more. Sorting the interval ends gives the segments of
   p; on each, the as-converted shares taking part (their weights) are fixed, so the equity value
   grows linearly, V = V_prev + (Σ weights)·Δp, and each holder takes weight / Σ weights of it.

Every payout stays continuous: a class converts exactly where converting and not converting pay the
same, so the fractions jump but no value does.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from valuation.pricing.captable import CapTable
from valuation.pricing.errors import ValuationInputError

__all__ = ["Tranche", "breakpoints", "distribute", "tranches"]


@dataclass(frozen=True, slots=True)
class Tranche:
    """Equity value between `lower` and `upper` (`math.inf` for the last), split by `allocation` fractions."""

    lower: float
    upper: float
    allocation: Mapping[str, float]


def _participation(cap_table: CapTable) -> list[tuple[str, float, float, float]]:
    """(holder, weight, from p, until p) intervals of residual participation; weights are as-converted shares."""
    intervals: list[tuple[str, float, float, float]] = []
    for share_class in cap_table.classes:
        weight, ratio, pref = share_class.as_converted_shares, share_class.conversion_ratio, share_class.preference
        if pref is None:
            intervals.append((share_class.name, weight, 0.0, math.inf))
        elif not pref.participating:
            intervals.append((share_class.name, weight, pref.amount_per_share / ratio, math.inf))
        elif pref.cap_per_share is None:
            intervals.append((share_class.name, weight, 0.0, math.inf))
        else:
            intervals.append((share_class.name, weight, 0.0, (pref.cap_per_share - pref.amount_per_share) / ratio))
            intervals.append((share_class.name, weight, pref.cap_per_share / ratio, math.inf))
    intervals.extend((pool.name, pool.shares, pool.strike, math.inf) for pool in cap_table.option_pools)
    return intervals


def tranches(cap_table: CapTable) -> tuple[Tranche, ...]:
    """The waterfall as consecutive tranches from 0 to infinity (see the module docstring)."""
    result: list[Tranche] = []
    level_amounts: dict[int, dict[str, float]] = {}
    for share_class in cap_table.classes:
        pref = share_class.preference
        if pref is not None and pref.amount_per_share * share_class.shares > 0.0:
            level = level_amounts.setdefault(pref.seniority, {})
            level[share_class.name] = pref.amount_per_share * share_class.shares
    value = 0.0
    for seniority in sorted(level_amounts):
        amounts = level_amounts[seniority]
        total = sum(amounts.values())
        result.append(Tranche(value, value + total, {name: amount / total for name, amount in amounts.items()}))
        value += total

    intervals = _participation(cap_table)
    edges = sorted({p for _, _, start, end in intervals for p in (start, end) if p < math.inf} | {0.0})
    edges.append(math.inf)
    for start, end in itertools.pairwise(edges):
        weights: dict[str, float] = {}
        for name, weight, since, until in intervals:
            if since <= start < until:
                weights[name] = weights.get(name, 0.0) + weight
        total = sum(weights.values())
        if total <= 0.0:
            continue  # nobody takes part between these p: the equity value does not move
        upper = value + total * (end - start) if end < math.inf else math.inf
        if upper <= value:
            continue
        allocation = {name: weight / total for name, weight in weights.items()}
        if result and result[-1].upper == value and result[-1].allocation == allocation:
            result[-1] = Tranche(result[-1].lower, upper, allocation)  # nothing changed at this p
        else:
            result.append(Tranche(value, upper, allocation))
        value = upper
    if not result or result[-1].upper != math.inf:
        raise ValuationInputError("classes", "no class shares in value above the preferences")  # pragma: no cover
    return tuple(result)


def breakpoints(cap_table: CapTable) -> tuple[float, ...]:
    """The equity values where the split changes: every tranche's lower bound except 0."""
    return tuple(t.lower for t in tranches(cap_table) if t.lower > 0.0)


def distribute(cap_table: CapTable, equity_value: float) -> dict[str, float]:
    """What each class and pool receives at an exit worth `equity_value` (a deterministic waterfall)."""
    if not math.isfinite(equity_value) or equity_value < 0.0:
        raise ValuationInputError("equity_value", f"must be a finite non-negative number, got {equity_value!r}")
    payout = dict.fromkeys(cap_table.holders, 0.0)
    for tranche in tranches(cap_table):
        filled = min(equity_value, tranche.upper) - tranche.lower
        if filled <= 0.0:
            break
        for name, fraction in tranche.allocation.items():
            payout[name] += fraction * filled
    return payout
