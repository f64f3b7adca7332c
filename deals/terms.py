"""The terms of a linked deal (投贷联动): borrower, loan, subsidy, option right, risk sharing and split.

Every number is per-deal configuration (domain.md); nothing here hard-codes a scheme. Money is integer
fen; rates, shares of interest and stakes are Decimal fractions (0.0435 = 4.35%); the gain split is in
basis points summing to 10,000. `validate_terms` checks a whole deal at once and reports every violation
with its field path, so a branch fixes a booking in one round trip.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from deals import uscc
from deals.schedule import LoanTerms, Subsidy, SubsidyKind, period_end_dates, round_fen
from ledger import names
from ledger.errors import ViolationCollector

BASIS_POINTS = 10_000
MAX_TERM_YEARS = 10


class Stage(enum.Enum):
    """The borrower's lifecycle stage."""

    START_UP = "start_up"
    GROWTH = "growth"
    MATURE = "mature"


class QuantityBasis(enum.Enum):
    """How the option's quantity is stated in the contract."""

    SHARES = "shares"  # a number of shares
    STAKE = "stake"  # a fraction of fully diluted equity
    COVERAGE = "coverage"  # a fraction of the principal, divided by the strike


class StrikeBasis(enum.Enum):
    """How the strike price is fixed."""

    FIXED_PRICE = "fixed_price"
    LAST_ROUND_PRICE = "last_round_price"
    NEXT_ROUND_DISCOUNT = "next_round_discount"
    VALUATION_CAP = "valuation_cap"


class Trigger(enum.Enum):
    """Events that open the right to exercise."""

    QUALIFYING_ROUND = "qualifying_round"
    IPO = "ipo"
    MERGER = "merger"
    VALUATION_THRESHOLD = "valuation_threshold"


@dataclass(frozen=True, slots=True)
class Borrower:
    name: str
    uscc: str
    stage: Stage | None
    credit_score: int | None = None


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """The equity-option right (认股选择权). Prices are CNY per share as Decimal; money in fen."""

    holder: str  # party id of the investment arm or partner fund
    company: str
    share_class: str
    quantity_basis: QuantityBasis | None
    shares: int = 0  # SHARES
    stake: Decimal = Decimal(0)  # STAKE, fraction of fully diluted shares
    coverage: Decimal = Decimal(0)  # COVERAGE, fraction of principal
    fully_diluted_shares: int = 0  # needed for STAKE and VALUATION_CAP
    strike_basis: StrikeBasis | None = None
    strike_price: Decimal = Decimal(0)  # FIXED_PRICE / LAST_ROUND_PRICE (the price known at booking)
    discount: Decimal = Decimal(0)  # NEXT_ROUND_DISCOUNT
    valuation_cap: int = 0  # VALUATION_CAP, fen
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    triggers: tuple[Trigger, ...] = ()
    qualifying_round_size: int = 0  # fen raised for a round to qualify
    valuation_threshold: int = 0  # fen of post-money valuation for VALUATION_THRESHOLD

    @property
    def reference_price(self) -> Decimal:
        """The strike known at booking: the stated price, or the cap divided by fully diluted shares."""
        if self.strike_basis is StrikeBasis.VALUATION_CAP and self.fully_diluted_shares:
            return Decimal(self.valuation_cap) / 100 / self.fully_diluted_shares
        return self.strike_price


class Reimbursement(enum.Enum):
    """What the pool is reimbursed from a deal's option gains before the split (its risk-sharing agreement)."""

    BORROWER = "borrower"  # its unreimbursed payments on the deal's borrower
    PORTFOLIO = "portfolio"  # its unreimbursed payments on every deal of the same agreement
    NONE = "none"  # nothing ahead of the split


@dataclass(frozen=True, slots=True)
class Band:
    """`rate` of the part of a loss up to `up_to` fen (0: no upper edge, the last band)."""

    up_to: int
    rate: Decimal


def banded(loss: int, bands: tuple[Band, ...]) -> Decimal:
    """Compensation of `loss` fen under banded rates (unrounded): each band pays its rate on its slice."""
    total = Decimal(0)
    lower = 0
    for band in bands:
        upper = band.up_to or loss
        if loss > lower and upper > lower:
            total += Decimal(min(loss, upper) - lower) * band.rate
        lower = max(lower, upper)
    return total


@dataclass(frozen=True, slots=True)
class DealAgreements:
    """The agreements a deal is booked under: agreement ids, and once booked the versions applied."""

    risk_sharing: str = ""
    risk_sharing_version: int = 0
    linkage: str = ""
    linkage_version: int = 0
    subsidy: str = ""
    subsidy_version: int = 0
    # The borrower's assessment (by the branch) in force on the loan's start date when it was booked, which
    # set the tier of the risk-sharing terms (docs/assessment.md): its name, tier and total score. Empty
    # when it had none (the booked stage applied) or was booked before assessments existed.
    assessment: str = ""
    assessment_tier: str = ""
    assessment_score: str = ""


@dataclass(frozen=True, slots=True)
class RiskSharing:
    """Risk-pool compensation by tier (rates are fractions of the loss) and cap per loan; insurer share.

    The rates, bands, cap, insurer, auto-approval limit and reimbursement come from the pool's
    risk-sharing agreement (a booking may ask for less, never more); `first_loan` and `unsecured_share`
    are facts of the loan.
    """

    pool: str  # party id of the risk pool
    base_rate: Decimal
    first_loan: bool = False
    first_loan_rate: Decimal = Decimal(0)
    unsecured_share: Decimal = Decimal(0)  # fraction of the loan that is unsecured credit
    unsecured_threshold: Decimal = Decimal(0)
    unsecured_rate: Decimal = Decimal(0)
    cap: int = 0  # fen per loan; 0 = no cap
    insurer: str = ""  # party id, optional
    insurer_rate: Decimal = Decimal(0)
    bands: tuple[Band, ...] = ()
    auto_approval_limit: int | None = None  # fen; None = everything is approved with the default
    reimbursement: Reimbursement = Reimbursement.BORROWER

    def compensation(self, loss: int) -> int:
        """The pool's compensation of `loss` fen: first-loan or unsecured tier on the whole loss, else the
        bands, else the base rate; rounded half-up to the fen once, then capped."""
        if self.bands and not self._special_tier():
            amount = round_fen(banded(loss, self.bands))
        else:
            amount = round_fen(Decimal(loss) * self.compensation_rate)
        return min(amount, self.cap) if self.cap else amount

    def _special_tier(self) -> bool:
        return bool(
            (self.first_loan and self.first_loan_rate)
            or (self.unsecured_threshold and self.unsecured_share >= self.unsecured_threshold)
        )

    @property
    def compensation_rate(self) -> Decimal:
        """The tier that applies: first loan, else unsecured above the threshold, else the base rate."""
        if self.first_loan and self.first_loan_rate:
            return self.first_loan_rate
        if self.unsecured_threshold and self.unsecured_share >= self.unsecured_threshold:
            return self.unsecured_rate
        return self.base_rate


@dataclass(frozen=True, slots=True)
class Split:
    """Gain split in basis points and an optional advisory fee (fen) paid to the bank first."""

    bank_bps: int
    arm_bps: int
    pool_bps: int
    advisory_fee: int = 0


@dataclass(frozen=True, slots=True)
class DealTerms:
    branch: str  # party id of the booking sub-branch
    borrower: Borrower
    loan: LoanTerms
    option: OptionTerms
    risk: RiskSharing
    split: Split
    subsidy: Subsidy = field(default_factory=Subsidy)
    subsidy_fund: str = ""  # party id, required with a subsidy
    agreements: DealAgreements = field(default_factory=DealAgreements)

    def parties(self) -> list[str]:
        """Every ledger party the deal posts to."""
        found = [self.branch, self.option.holder, self.risk.pool]
        if self.subsidy.kind is not SubsidyKind.NONE:
            found.append(self.subsidy_fund)
        if self.risk.insurer:
            found.append(self.risk.insurer)
        return sorted(set(found))


def option_quantity(terms: DealTerms) -> int:
    """The number of shares the right covers, from its stated basis (rounded down to whole shares)."""
    option = terms.option
    if option.quantity_basis is QuantityBasis.SHARES:
        return option.shares
    if option.quantity_basis is QuantityBasis.STAKE:
        return int(option.stake * option.fully_diluted_shares)
    price = option.reference_price
    if option.quantity_basis is QuantityBasis.COVERAGE and price > 0:
        return int(Decimal(terms.loan.principal) / 100 * option.coverage / price)
    return 0


def _fraction(value: Decimal, path: str, errors: ViolationCollector, *, upper: Decimal = Decimal(1)) -> None:
    if not Decimal(0) <= value <= upper:
        errors.add(path, f"must be between 0 and {upper} as a fraction (got {value}); 4.35% is 0.0435")


def _party(value: str, path: str, errors: ViolationCollector) -> None:
    if not names.PARTY_ID.match(value or ""):
        errors.add(path, "must be a party id (lowercase letters, digits, hyphens), e.g. bank-hz")


def validate_terms(terms: DealTerms, errors: ViolationCollector, *, prefix: str = "") -> None:
    """Add a violation for every problem in `terms` (paths relative to `prefix`)."""
    p = prefix
    _party(terms.branch, f"{p}branch", errors)
    b = terms.borrower
    if not b.name.strip():
        errors.add(f"{p}borrower.name", "is required")
    try:
        uscc.validate(b.uscc)
    except uscc.InvalidUSCC as exc:
        errors.add(f"{p}borrower.uscc", f"is not a valid unified social credit code: {exc}", "INVALID_USCC")
    if b.stage is None:
        errors.add(f"{p}borrower.stage", "is required: start_up, growth or mature")
    if b.credit_score is not None and not 0 <= b.credit_score <= 1000:
        errors.add(f"{p}borrower.credit_score", "must be between 0 and 1000")
    _validate_loan(terms.loan, f"{p}loan", errors)
    _validate_subsidy(terms, p, errors)
    _validate_option(terms, f"{p}option", errors)
    _validate_risk(terms.risk, f"{p}risk_sharing", errors)
    s = terms.split
    for name, bps in (("bank_bps", s.bank_bps), ("investment_arm_bps", s.arm_bps), ("risk_pool_bps", s.pool_bps)):
        if bps < 0:
            errors.add(f"{p}split.{name}", "must not be negative")
    if s.bank_bps + s.arm_bps + s.pool_bps != BASIS_POINTS:
        errors.add(
            f"{p}split",
            f"basis points sum to {s.bank_bps + s.arm_bps + s.pool_bps}; bank + investment arm + pool must be 10000",
            "SPLIT_NOT_10000",
        )
    if s.advisory_fee < 0:
        errors.add(f"{p}split.advisory_fee", "must not be negative")


def _validate_loan(loan: LoanTerms, p: str, errors: ViolationCollector) -> None:
    if loan.principal <= 0:
        errors.add(f"{p}.principal", "must be greater than zero")
    _fraction(loan.annual_rate, f"{p}.annual_rate", errors, upper=Decimal("0.36"))
    if loan.maturity <= loan.start:
        errors.add(f"{p}.maturity_date", "must be after the start date")
    elif loan.maturity > loan.start + relativedelta(years=MAX_TERM_YEARS):
        errors.add(f"{p}.maturity_date", f"is more than {MAX_TERM_YEARS} years after the start")
    elif _months_spanned(loan) // loan.frequency.months + 1 > 600 and len(period_end_dates(loan)) > 600:
        errors.add(f"{p}.frequency", "gives more than 600 periods")


def _months_spanned(loan: LoanTerms) -> int:
    """Calendar months from start to maturity, rounded up: periods ≤ this ÷ months per period + 1.

    A cheap bound, so the schedule (relativedelta per period, over a millisecond for a monthly loan) is
    only built to count its periods when the bound cannot rule out more than 600.
    """
    return (loan.maturity.year - loan.start.year) * 12 + loan.maturity.month - loan.start.month + 1


def _validate_subsidy(terms: DealTerms, prefix: str, errors: ViolationCollector) -> None:
    subsidy = terms.subsidy
    if subsidy.kind is SubsidyKind.NONE:
        return
    _party(terms.subsidy_fund, f"{prefix}subsidy.subsidy_fund", errors)
    p = f"{prefix}subsidy"
    if subsidy.kind is SubsidyKind.RATE_POINTS:
        _fraction(subsidy.rate_points, f"{p}.rate_points", errors)
        if subsidy.rate_points > terms.loan.annual_rate:
            errors.add(f"{p}.rate_points", f"{subsidy.rate_points} exceeds the loan rate {terms.loan.annual_rate}")
    else:
        _fraction(subsidy.share, f"{p}.share", errors)
    if subsidy.cap is not None and subsidy.cap < 0:
        errors.add(f"{p}.cap", "must not be negative")


def _validate_option(terms: DealTerms, p: str, errors: ViolationCollector) -> None:
    o = terms.option
    _party(o.holder, f"{p}.holder", errors)
    if o.holder == terms.branch:
        errors.add(
            f"{p}.holder", "must not be the booking branch: a bank may not hold equity (Commercial Bank Law art. 43)"
        )
    if not o.company.strip():
        errors.add(f"{p}.company", "is required")
    if not o.share_class.strip():
        errors.add(f"{p}.share_class", "is required")
    if o.strike_basis is None:
        errors.add(f"{p}.strike_basis", "is required")
    elif o.strike_basis in (StrikeBasis.FIXED_PRICE, StrikeBasis.LAST_ROUND_PRICE) and o.strike_price <= 0:
        errors.add(f"{p}.strike_price", f"must be greater than zero for {o.strike_basis.value}")
    elif o.strike_basis is StrikeBasis.NEXT_ROUND_DISCOUNT:
        _fraction(o.discount, f"{p}.discount", errors)
    elif o.strike_basis is StrikeBasis.VALUATION_CAP:
        if o.valuation_cap <= 0:
            errors.add(f"{p}.valuation_cap", "must be greater than zero")
        if o.fully_diluted_shares <= 0:
            errors.add(f"{p}.fully_diluted_shares", "is required to turn a valuation cap into a price per share")
    if o.quantity_basis is None:
        errors.add(f"{p}.quantity_basis", "is required: shares, stake or coverage")
    elif o.quantity_basis is QuantityBasis.SHARES and o.shares <= 0:
        errors.add(f"{p}.shares", "must be greater than zero")
    elif o.quantity_basis is QuantityBasis.STAKE:
        if not Decimal(0) < o.stake <= Decimal(1):
            errors.add(f"{p}.stake", f"must be a fraction above 0 and at most 1 (got {o.stake}); 3% is 0.03")
        if o.fully_diluted_shares <= 0:
            errors.add(f"{p}.fully_diluted_shares", "is required for a quantity stated as a stake")
    elif o.quantity_basis is QuantityBasis.COVERAGE:
        if not Decimal(0) < o.coverage <= Decimal(1):
            errors.add(f"{p}.coverage", f"must be a fraction above 0 and at most 1 (got {o.coverage}); 10% is 0.10")
        if o.strike_basis is StrikeBasis.NEXT_ROUND_DISCOUNT:
            errors.add(f"{p}.coverage", "needs a strike known at booking; next-round pricing gives none")
    if o.window_start is None or o.window_end is None:
        errors.add(f"{p}.exercise_window_end", "needs a start and an end date")
    elif o.window_end <= o.window_start:
        errors.add(f"{p}.exercise_window_end", "must be after exercise_window_start")
    if not o.triggers:
        errors.add(f"{p}.triggers", "needs at least one trigger (qualifying round, IPO, M&A, valuation threshold)")
    if Trigger.VALUATION_THRESHOLD in o.triggers and o.valuation_threshold <= 0:
        errors.add(f"{p}.valuation_threshold", "is required with the valuation_threshold trigger")
    if not errors and option_quantity(terms) <= 0:
        errors.add(f"{p}.quantity_basis", "comes to zero shares; check the stake, coverage or strike")


def _validate_risk(risk: RiskSharing, p: str, errors: ViolationCollector) -> None:
    _party(risk.pool, f"{p}.risk_pool", errors)
    for name in (
        "base_rate",
        "first_loan_rate",
        "unsecured_share",
        "unsecured_threshold",
        "unsecured_rate",
        "insurer_rate",
    ):
        _fraction(getattr(risk, name), f"{p}.{name}", errors)
    if risk.cap < 0:
        errors.add(f"{p}.cap", "must not be negative")
    if risk.insurer:
        _party(risk.insurer, f"{p}.insurer", errors)
    validate_bands(risk.bands, f"{p}.bands", errors)
    highest = max([risk.compensation_rate, *(b.rate for b in risk.bands)])
    if highest + risk.insurer_rate > 1:
        errors.add(f"{p}.insurer_rate", "pool and insurer together would pay more than the whole loss")
    if risk.auto_approval_limit is not None and risk.auto_approval_limit < 0:
        errors.add(f"{p}.auto_approval_limit", "must not be negative")


def validate_bands(bands: tuple[Band, ...], p: str, errors: ViolationCollector) -> None:
    """Bands rise strictly; only the last may be open-ended (up_to 0); each rate is a fraction."""
    previous = 0
    for i, band in enumerate(bands):
        _fraction(band.rate, f"{p}[{i}].rate", errors)
        if band.up_to == 0 and i != len(bands) - 1:
            errors.add(f"{p}[{i}].up_to", "only the last band may be open-ended (zero)")
        elif band.up_to and band.up_to <= previous:
            errors.add(f"{p}[{i}].up_to", "must be above the previous band's upper edge")
        previous = band.up_to or previous
