"""Instrument terms: what an option *is*, apart from the market it is priced in and the engine.

Following QuantLib, an instrument holds only its contractual terms; market data (`valuation.pricing.market`)
and the pricing engine are passed separately, so one set of terms can be priced by several engines and
every engine can be checked against another.

Time is measured in years from an explicit valuation date. `year_fraction` converts two dates with
ACT/365 Fixed (actual days / 365), the convention of QuantLib's `Actual365Fixed` and of most option
pricing; there is no global "today" anywhere in this package.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date

from valuation.pricing.errors import ValuationInputError

__all__ = [
    "DAYS_PER_YEAR",
    "NextRoundStrike",
    "OptionTerms",
    "Right",
    "RoundLinkedOption",
    "Style",
    "WarrantTerms",
    "year_fraction",
]

DAYS_PER_YEAR = 365.0
"""ACT/365 Fixed: a year is 365 days, leap years included."""


class Right(enum.StrEnum):
    """Call (the right to buy, the warrant's case) or put (the right to sell)."""

    CALL = "call"
    PUT = "put"


class Style(enum.StrEnum):
    """European: exercise at expiry only. American: at any time up to expiry."""

    EUROPEAN = "european"
    AMERICAN = "american"


def year_fraction(valuation_date: date, expiry_date: date) -> float:
    """Years from `valuation_date` to `expiry_date`, ACT/365 Fixed.

    Raises:
        ValuationInputError: `expiry_date` is before `valuation_date` (an expired option has no model value).
    """
    days = (expiry_date - valuation_date).days
    if days < 0:
        raise ValuationInputError("expiry_date", f"{expiry_date} is before the valuation date {valuation_date}")
    return days / DAYS_PER_YEAR


def check_finite(field: str, value: float) -> float:
    """Return `value` as a float, or raise naming `field` if it is NaN or infinite."""
    result = float(value)
    if not math.isfinite(result):
        raise ValuationInputError(field, f"must be a finite number, got {value!r}")
    return result


def check_non_negative(field: str, value: float) -> float:
    """Return `value` as a float, or raise naming `field` if it is negative, NaN or infinite."""
    result = check_finite(field, value)
    if result < 0.0:
        raise ValuationInputError(field, f"must not be negative, got {value!r}")
    return result


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """A vanilla option on one share: right, exercise style, strike (per share) and time to expiry in years.

    Use `from_dates` to build it from a valuation date and an expiry date (ACT/365F).
    """

    right: Right
    style: Style
    strike: float
    expiry_years: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "right", Right(self.right))
        object.__setattr__(self, "style", Style(self.style))
        object.__setattr__(self, "strike", check_non_negative("strike", self.strike))
        object.__setattr__(self, "expiry_years", check_non_negative("expiry_years", self.expiry_years))

    @classmethod
    def from_dates(
        cls, right: Right | str, style: Style | str, strike: float, valuation_date: date, expiry_date: date
    ) -> OptionTerms:
        """Terms with the time to expiry measured from an explicit valuation date (ACT/365F)."""
        return cls(Right(right), Style(style), strike, year_fraction(valuation_date, expiry_date))


@dataclass(frozen=True, slots=True)
class WarrantTerms:
    """A warrant issued by the company itself: exercising creates `new_shares` (M) new shares.

    `shares_outstanding` (N) is the number of shares before exercise; `option` holds strike and expiry
    per warrant (one warrant buys one share). Dilution makes a warrant worth less than a call on a
    share traded between investors; see `valuation.pricing.dilution`.
    """

    option: OptionTerms
    shares_outstanding: float
    new_shares: float

    def __post_init__(self) -> None:
        outstanding = check_non_negative("shares_outstanding", self.shares_outstanding)
        if outstanding == 0.0:
            raise ValuationInputError("shares_outstanding", "must be positive")
        object.__setattr__(self, "shares_outstanding", outstanding)
        object.__setattr__(self, "new_shares", check_non_negative("new_shares", self.new_shares))


@dataclass(frozen=True, slots=True)
class NextRoundStrike:
    """A strike fixed by a future financing round: the round's price per share less a discount, maybe capped.

    At `round_years` the company raises money at a price per share; the option's strike becomes
    `round_price × (1 − discount)`, and with a valuation cap never more than `cap_price` (the cap
    valuation divided by the fully diluted shares it refers to). This is the convertible-note and SAFE
    pattern; venture-debt warrants often say "at the next round's price".
    """

    round_years: float
    discount: float = 0.0
    cap_price: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "round_years", check_non_negative("round_years", self.round_years))
        discount = check_non_negative("discount", self.discount)
        if discount >= 1.0:
            raise ValuationInputError("discount", f"must be below 1 (a fraction of the round price), got {discount}")
        object.__setattr__(self, "discount", discount)
        if self.cap_price is not None:
            object.__setattr__(self, "cap_price", check_non_negative("cap_price", self.cap_price))

    @classmethod
    def with_valuation_cap(
        cls, round_years: float, discount: float, valuation_cap: float, fully_diluted_shares: float
    ) -> NextRoundStrike:
        """The cap given as a company valuation: cap price = valuation cap / fully diluted shares."""
        cap = check_non_negative("valuation_cap", valuation_cap)
        shares = check_non_negative("fully_diluted_shares", fully_diluted_shares)
        if shares == 0.0:
            raise ValuationInputError("fully_diluted_shares", "must be positive")
        return cls(round_years, discount, cap / shares)


@dataclass(frozen=True, slots=True)
class RoundLinkedOption:
    """A European option whose strike is set by the next round (`NextRoundStrike`), expiring at `expiry_years`."""

    right: Right
    expiry_years: float
    strike_rule: NextRoundStrike

    def __post_init__(self) -> None:
        object.__setattr__(self, "right", Right(self.right))
        expiry = check_non_negative("expiry_years", self.expiry_years)
        object.__setattr__(self, "expiry_years", expiry)
        if self.strike_rule.round_years > expiry:
            raise ValuationInputError(
                "strike_rule.round_years",
                f"the round ({self.strike_rule.round_years} years) must not come after expiry ({expiry} years)",
            )
