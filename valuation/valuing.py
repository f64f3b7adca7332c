"""Valuing deals' option rights from their company's latest round: pure functions, no I/O.

For each deal (the practice of ASC 820 / IFRS 13 marks, docs/valuation.md "Deal options"):

1. **Calibrate** an OPM to the company's latest round on or before the valuation date: backsolve the
   total equity value at which the round's class is worth exactly its issue price
   (`valuation.backsolve`, once per round), with the request's volatility, rate and exit horizon.
2. **Read** the value per share of the class the right is on: the warrant's spot S.
3. **Strike** from the deal's strike basis: the contract price (fixed price, last round price), the
   valuation cap over the fully diluted shares, or for a next-round discount the first round after
   booking × (1 − discount) once it has happened; before it, the strike is simulated (step 4b).
4. **Price** the right, European, expiring at the end of its exercise window (ACT/365F):
   a. the dilution-adjusted warrant (Galai-Schneller, `valuation.warrant_values`) with N = the share
      classes' as-converted shares (shares × conversion ratio; option pools left out) and M = the
      right's quantity, when M/N ≥ `DILUTION_THRESHOLD` (engine "warrant"); below it dilution is
      immaterial and the engine is plain Black-Scholes ("bsm": solved in the same batch with M = 0,
      which is exactly C(S, K); its inputs carry no `new_shares`, since no M enters its price);
   b. Monte Carlo (`valuation.price_monte_carlo`, `RoundLinkedOption`) when the strike awaits a next
      round (engine "monte_carlo", round expected after `NEXT_ROUND_YEARS`, seeded per deal);
   c. a right whose window has ended is worth 0 (engine "lapsed").

Every mark also carries its calibration (`Mark.calibration`: the backsolve's breakpoints and tranche
values, the round's and the option's class's participation per tranche), so that a valuation record
reproduces the spot and the price from its own inputs (valuation.records, docs/valuation.md "Reading
valuation records").

Warrants are priced in one vectorized call for a whole revaluation (the reason this is a batch
function). Money is not made here: `valuation.money` turns the value per share into fen, once.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from deals.terms import OptionTerms as DealOptionTerms
from deals.terms import StrikeBasis
from valuation.money import value_text
from valuation.pricing import (
    BacksolveResult,
    CapTable,
    MarketData,
    NextRoundStrike,
    Right,
    RoundLinkedOption,
    ValuationInputError,
    backsolve,
    price_monte_carlo,
    warrant_values,
    year_fraction,
)
from valuation.rounds import FundingRound

__all__ = [
    "DEFAULT_EXIT_YEARS",
    "DEFAULT_RATE",
    "DEFAULT_VOLATILITY",
    "DILUTION_THRESHOLD",
    "MC_PATHS",
    "NEXT_ROUND_YEARS",
    "Assumptions",
    "Calibrations",
    "DealOption",
    "Mark",
    "Skip",
    "value_options",
]

DEFAULT_VOLATILITY = Decimal("0.50")
"""Annual equity volatility: early-stage comparables typically show 40–70%."""
DEFAULT_RATE = Decimal("0.02")
"""Continuously compounded CNY risk-free rate (about the 3-year CGB yield)."""
DEFAULT_EXIT_YEARS = Decimal("3")
"""Years to the expected liquidity event: the OPM's horizon."""
DILUTION_THRESHOLD = 0.01
"""M/N from which the dilution adjustment is applied (1% of the as-converted shares)."""
NEXT_ROUND_YEARS = 1.0
"""Expected years to the next round when a next-round strike is not yet fixed (capped at expiry)."""
MC_PATHS = 100_000


@dataclass(frozen=True, slots=True)
class Assumptions:
    """Market assumptions of a valuation; `None` fields take the documented defaults."""

    volatility: Decimal = DEFAULT_VOLATILITY
    rate: Decimal = DEFAULT_RATE
    exit_years: Decimal = DEFAULT_EXIT_YEARS

    def as_inputs(self) -> dict[str, str]:
        return {"volatility": str(self.volatility), "rate": str(self.rate), "exit_years": str(self.exit_years)}


@dataclass(frozen=True, slots=True)
class DealOption:
    """What a valuation needs of one deal: its id, holder, option terms, quantity and booking date."""

    deal_id: str
    holder: str
    terms: DealOptionTerms
    quantity: int
    booked_on: dt.date


@dataclass(frozen=True, slots=True)
class Mark:
    """One deal's option valued: engine, inputs (as text) and the value per share (shortest decimal text)."""

    deal_id: str
    holder: str
    quantity: int
    as_of: dt.date
    funding_round: FundingRound | None
    engine: str
    inputs: Mapping[str, str]
    value_per_share: str
    calibration: Mapping[str, str] = field(default_factory=dict)
    """The OPM calibration behind the spot, shared by every mark on the same round and class (one
    mapping, not a copy per deal): `dividend_yield`, `breakpoints`, `tranche_values`,
    `round_class_participation`, `option_class_shares`, `participation` (lists as comma-separated
    shortest decimal texts). A revaluation stores it once per round and class (valuation.desk), a
    valuation record reads it back merged into its inputs (valuation.records)."""


@dataclass(frozen=True, slots=True)
class Skip:
    """A deal that could not be valued: `field` and `reason` say why (e.g. no round, unknown class)."""

    deal_id: str
    field: str
    reason: str
    message: str


Calibrations = MutableMapping[
    tuple[object, float, float, float], tuple[CapTable, BacksolveResult | ValuationInputError]
]
"""(round id, volatility, rate, exit years) → the round's cap table and its backsolve (or why it failed)."""


@dataclass(slots=True)
class _Pending:
    option: DealOption
    round: FundingRound
    calibration: Mapping[str, str]
    inputs: dict[str, str] = field(default_factory=dict)


def _latest(rounds: Sequence[FundingRound], as_of: dt.date) -> FundingRound | None:
    found = [r for r in rounds if r.round_date <= as_of]
    return max(found, key=lambda r: (r.round_date, r.create_time)) if found else None


def _next_round(rounds: Sequence[FundingRound], after: dt.date, as_of: dt.date) -> FundingRound | None:
    found = [r for r in rounds if after < r.round_date <= as_of]
    return min(found, key=lambda r: (r.round_date, r.create_time)) if found else None


def value_options(
    options: Sequence[DealOption],
    rounds_by_company: Mapping[str, Sequence[FundingRound]],
    as_of: dt.date,
    assumptions: Assumptions,
    calibrated: Calibrations | None = None,
) -> tuple[list[Mark], list[Skip]]:
    """Value every option as of `as_of` from its company's rounds; returns marks and the deals skipped.

    `calibrated`, when given, keeps each round's parsed cap table and backsolve (step 1) per round and
    assumptions from one call to the next (a round never changes once recorded, and the backsolve does
    not depend on the valuation date), so a later revaluation backsolves only rounds it has not seen.

    Raises:
        ValuationInputError: an assumption is outside the models' domain (`volatility`, `rate`, `years`).
    """
    volatility, rate, exit_years = float(assumptions.volatility), float(assumptions.rate), float(assumptions.exit_years)
    calibrated = {} if calibrated is None else calibrated
    calibrations: dict[object, BacksolveResult | ValuationInputError] = {}
    tables: dict[object, CapTable] = {}
    marks: list[Mark] = []
    skipped: list[Skip] = []
    warrants: list[tuple[_Pending, float, float, float, float, float]] = []  # pending, N, M, S, K, T
    latest_of: dict[str, FundingRound | None] = {}  # per company: thousands of deals share a few rounds
    round_facts: dict[object, tuple[frozenset[str], float, dict[str, str]]] = {}
    class_facts: dict[tuple[object, str], dict[str, str]] = {}
    spot_facts: dict[tuple[object, str], tuple[float, str, str]] = {}
    expiry_facts: dict[dt.date, tuple[float, str, str]] = {}  # (texts formatted once, not once per deal)
    for option in options:
        terms = option.terms
        rounds = rounds_by_company.get(terms.company, ())
        if terms.company not in latest_of:
            latest_of[terms.company] = _latest(rounds, as_of)
        latest = latest_of[terms.company]
        if latest is None:
            skipped.append(
                Skip(
                    option.deal_id,
                    "as_of",
                    "NO_FUNDING_ROUND",
                    f"company {terms.company!r} has no funding round on or before {as_of.isoformat()}; "
                    "record one with RecordFundingRound",
                )
            )
            continue
        if latest.id not in calibrations:
            key = (latest.id, volatility, rate, exit_years)
            found = calibrated.get(key)
            if found is None:
                table = latest.parsed()
                try:
                    solved: BacksolveResult | ValuationInputError = backsolve(
                        table,
                        latest.share_class,
                        float(Decimal(latest.price_per_share)),
                        rate=rate,
                        volatility=volatility,
                        years=exit_years,
                    )
                except ValuationInputError as error:
                    if error.field in ("volatility", "rate", "years"):
                        raise
                    solved = error.with_traceback(None)  # kept in `calibrated`: not with this call's frames
                found = calibrated[key] = (table, solved)
            tables[latest.id], calibrations[latest.id] = found
        calibration = calibrations[latest.id]
        if isinstance(calibration, ValuationInputError):
            skipped.append(
                Skip(option.deal_id, "funding_round.price_per_share", "PRICE_NOT_REPRODUCIBLE", str(calibration))
            )
            continue
        table = tables[latest.id]
        if latest.id not in round_facts:
            round_facts[latest.id] = (
                frozenset(c.name for c in table.classes),
                # N: the share classes' as-converted shares (shares × conversion ratio); option pools are
                # left out (they take part in the OPM waterfall, not in the warrant's N).
                sum(c.as_converted_shares for c in table.classes),
                assumptions.as_inputs()
                | {
                    "funding_round": latest.name,
                    "round_date": latest.round_date.isoformat(),
                    "round_class": latest.share_class,
                    "round_price": latest.price_per_share,
                    "equity_value": repr(calibration.equity_value),
                },
            )
        class_names, shares_outstanding, round_inputs = round_facts[latest.id]
        if terms.share_class not in class_names:
            known = ", ".join(c.name for c in table.classes)
            skipped.append(
                Skip(
                    option.deal_id,
                    "name",
                    "UNKNOWN_SHARE_CLASS",
                    f"the option is on class {terms.share_class!r}, which the cap table of {latest.name} "
                    f"({latest.round_date.isoformat()}) does not have (it has {known})",
                )
            )
            continue
        class_key = (latest.id, terms.share_class)
        if class_key not in class_facts:
            class_facts[class_key] = {
                "dividend_yield": "0",
                "breakpoints": _numbers(calibration.breakpoints),
                "tranche_values": _numbers(calibration.opm.tranche_values),
                "round_class_participation": _participation(calibration, latest.share_class),
                "option_class_shares": repr(float(table.shares_of(terms.share_class))),
                "participation": _participation(calibration, terms.share_class),
            }
        if class_key not in spot_facts:
            spot_facts[class_key] = _spot_facts(terms.share_class, calibration, shares_outstanding)
        spot, spot_text, outstanding_text = spot_facts[class_key]
        pending = _Pending(option, latest, class_facts[class_key], dict(round_inputs))
        inputs = pending.inputs
        inputs["option_class"] = terms.share_class
        inputs["spot"] = spot_text
        inputs["quantity"] = str(option.quantity)
        inputs["shares_outstanding"] = outstanding_text
        inputs["strike_basis"] = terms.strike_basis.value if terms.strike_basis else ""
        expiry = terms.window_end
        if expiry is None or expiry < as_of:
            inputs["expiry_date"] = expiry.isoformat() if expiry else ""
            marks.append(_mark(pending, as_of, "lapsed", 0.0))
            continue
        if expiry not in expiry_facts:
            expiry_facts[expiry] = _expiry_facts(as_of, expiry)
        years, inputs["expiry_date"], inputs["years"] = expiry_facts[expiry]
        strike = _strike(terms, rounds, option.booked_on, as_of, pending)
        if strike is None:  # next-round strike not yet fixed: simulate the round
            round_years = min(NEXT_ROUND_YEARS, years)
            seed = zlib.crc32(option.deal_id.encode())
            result = price_monte_carlo(
                RoundLinkedOption(Right.CALL, years, NextRoundStrike(round_years, float(terms.discount))),
                MarketData(spot=spot, rate=rate, volatility=volatility),
                paths=MC_PATHS,
                seed=seed,
            )
            pending.inputs.update(
                round_years=repr(round_years),
                discount=str(terms.discount),
                paths=str(MC_PATHS),
                seed=str(seed),
                antithetic="true",
                std_error=repr(result.std_error),
            )
            marks.append(_mark(pending, as_of, "monte_carlo", result.price))
            continue
        dilution = option.quantity / shares_outstanding
        large = dilution >= DILUTION_THRESHOLD
        new_shares = float(option.quantity) if large else 0.0
        pending.inputs.update(
            strike=repr(strike), dilution_ratio=repr(dilution), dilution_threshold=repr(DILUTION_THRESHOLD)
        )
        if large:  # M enters the warrant formula; plain Black-Scholes has no M (the batch passes 0: no dilution)
            pending.inputs["new_shares"] = repr(new_shares)
        warrants.append((pending, shares_outstanding, new_shares, spot, strike, years))
    if warrants:
        n, m, s, k, t = (np.array([w[i] for w in warrants], dtype=np.float64) for i in range(1, 6))
        values = warrant_values(n, m, s, k, rate, volatility, t)
        for (pending, _, new_shares, *_rest), value in zip(warrants, values, strict=True):
            marks.append(_mark(pending, as_of, "warrant" if new_shares else "bsm", float(value)))
    marks.sort(key=lambda mark: mark.deal_id)
    return marks, skipped


def _spot_facts(share_class: str, calibration: BacksolveResult, outstanding: float) -> tuple[float, str, str]:
    """The class's value per share from the round's calibration, its text and N's text (record inputs)."""
    spot = calibration.per_share[share_class]
    return spot, repr(spot), repr(outstanding)


def _expiry_facts(as_of: dt.date, expiry: dt.date) -> tuple[float, str, str]:
    """Years from `as_of` to `expiry` (ACT/365F), the expiry's text and the years' text (record inputs)."""
    years = year_fraction(as_of, expiry)
    return years, expiry.isoformat(), repr(years)


def _numbers(values: Iterable[float]) -> str:
    """Floats as their shortest decimal texts, comma-separated (a record's list inputs)."""
    return ",".join(repr(float(v)) for v in values)


def _participation(calibration: BacksolveResult, holder: str) -> str:
    """The fraction of each OPM tranche (from 0 up, one per tranche) that goes to class `holder`."""
    return _numbers(t.allocation.get(holder, 0.0) for t in calibration.opm.tranches)


def _strike(
    terms: DealOptionTerms,
    rounds: Sequence[FundingRound],
    booked_on: dt.date,
    as_of: dt.date,
    pending: _Pending,
) -> float | None:
    if terms.strike_basis is StrikeBasis.NEXT_ROUND_DISCOUNT:
        following = _next_round(rounds, booked_on, as_of)
        if following is None:
            return None
        pending.inputs.update(next_round=following.name, discount=str(terms.discount))
        return float(Decimal(following.price_per_share) * (1 - terms.discount))
    return float(terms.reference_price)


def _mark(pending: _Pending, as_of: dt.date, engine: str, value: float) -> Mark:
    option = pending.option
    return Mark(
        deal_id=option.deal_id,
        holder=option.holder,
        quantity=option.quantity,
        as_of=as_of,
        funding_round=pending.round,
        engine=engine,
        inputs=pending.inputs,  # (each pending has its own dict, made for this mark alone)
        value_per_share=value_text(value),
        calibration=pending.calibration,
    )
