"""The values of the deal client: deal terms in and deals, schedules and step results out, as frozen
dataclasses with `Decimal` money in CNY and enums spelled as the CLI and deal files spell them."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

CNY = "CNY"
FEN = Decimal("0.01")
NANOS = 10**9

E = TypeVar("E", bound=enum.StrEnum)


# ---------------------------------------------------------------- enums (values as the CLI and files spell them)


class DealStatus(enum.StrEnum):
    """Where a deal is in its life: booked → disbursed → repaying → closed | defaulted → written_off."""

    BOOKED = "booked"
    DISBURSED = "disbursed"
    REPAYING = "repaying"
    CLOSED = "closed"
    DEFAULTED = "defaulted"
    WRITTEN_OFF = "written_off"


class BorrowerStage(enum.StrEnum):
    """The borrower's lifecycle stage."""

    START_UP = "start_up"
    GROWTH = "growth"
    MATURE = "mature"


class ScheduleType(enum.StrEnum):
    """How principal is repaid."""

    BULLET = "bullet"
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息


class InterestFrequency(enum.StrEnum):
    """How often interest is paid."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class DayCount(enum.StrEnum):
    """The day count of interest."""

    ACT_360 = "act_360"
    ACT_365F = "act_365f"


class BusinessDay(enum.StrEnum):
    """How a payment date on a weekend moves."""

    UNADJUSTED = "unadjusted"
    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified_following"
    PRECEDING = "preceding"


class HolidayCalendar(enum.StrEnum):
    """Which days are not business days: mainland China's holidays (with 调休 working days), or weekends."""

    CN_MAINLAND = "cn_mainland"
    WEEKENDS_ONLY = "weekends_only"


class SubsidyType(enum.StrEnum):
    """How interest is subsidised (贴息)."""

    NONE = "none"
    RATE_POINTS = "rate_points"
    INTEREST_SHARE = "interest_share"


class QuantityBasis(enum.StrEnum):
    """How the option's quantity is stated."""

    SHARES = "shares"
    STAKE = "stake"
    COVERAGE = "coverage"


class StrikeBasis(enum.StrEnum):
    """How the strike price is fixed."""

    FIXED_PRICE = "fixed_price"
    LAST_ROUND_PRICE = "last_round_price"
    NEXT_ROUND_DISCOUNT = "next_round_discount"
    VALUATION_CAP = "valuation_cap"


class ExerciseTrigger(enum.StrEnum):
    """Events that open the exercise window."""

    QUALIFYING_ROUND = "qualifying_round"
    IPO = "ipo"
    MERGER = "merger"
    VALUATION_THRESHOLD = "valuation_threshold"


# ---------------------------------------------------------------- terms


@dataclass(frozen=True, slots=True)
class Borrower:
    """The borrowing company; `uscc` is its 18-character unified social credit code."""

    name: str
    uscc: str
    stage: BorrowerStage | None = None
    credit_score: int | None = None


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """The loan: principal in CNY, annual rate as a fraction (0.0435 = 4.35%), dates and conventions."""

    principal: Decimal
    annual_rate: Decimal
    start_date: dt.date
    maturity_date: dt.date
    schedule: ScheduleType = ScheduleType.BULLET
    frequency: InterestFrequency = InterestFrequency.MONTHLY
    day_count: DayCount = DayCount.ACT_360
    business_day: BusinessDay = BusinessDay.MODIFIED_FOLLOWING
    end_of_month: bool = False
    calendar: HolidayCalendar = HolidayCalendar.CN_MAINLAND
    extra_holidays: tuple[dt.date, ...] = ()
    extra_working_days: tuple[dt.date, ...] = ()


@dataclass(frozen=True, slots=True)
class SubsidyTerms:
    """The interest subsidy (贴息) and the party that pays it."""

    type: SubsidyType = SubsidyType.NONE
    subsidy_fund: str = ""
    rate_points: Decimal | None = None
    share: Decimal | None = None
    cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OptionTerms:
    """The equity-option right (认股选择权); prices in CNY per share."""

    holder: str
    company: str
    share_class: str
    quantity_basis: QuantityBasis | None
    strike_basis: StrikeBasis | None
    shares: int = 0
    stake: Decimal | None = None
    coverage: Decimal | None = None
    fully_diluted_shares: int = 0
    strike_price: Decimal | None = None
    discount: Decimal | None = None
    valuation_cap: Decimal | None = None
    exercise_window_start: dt.date | None = None
    exercise_window_end: dt.date | None = None
    triggers: tuple[ExerciseTrigger, ...] = ()
    qualifying_round_size: Decimal | None = None
    valuation_threshold: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RiskSharingTerms:
    """Risk-pool compensation by tier, its cap per loan, and an optional insurer's share."""

    risk_pool: str
    base_rate: Decimal
    first_loan: bool = False
    first_loan_rate: Decimal | None = None
    unsecured_share: Decimal | None = None
    unsecured_threshold: Decimal | None = None
    unsecured_rate: Decimal | None = None
    cap: Decimal | None = None
    insurer: str = ""
    insurer_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProceedsSplit:
    """Gain split in basis points (summing to 10,000) and an optional advisory fee to the bank."""

    bank_bps: int
    investment_arm_bps: int
    risk_pool_bps: int
    advisory_fee: Decimal | None = None


@dataclass(frozen=True, slots=True)
class DealAgreements:
    """The agreements a deal is booked under (AgreementService): `agreements/{id}` or an id, or empty for
    the one in effect between the two parties. A booked deal shows the versions applied
    (`agreements/{id}/versions/{n}`)."""

    risk_sharing: str = ""
    linkage: str = ""
    subsidy: str = ""


@dataclass(frozen=True, slots=True)
class DealTerms:
    """Everything agreed at signing. Rates, caps and the split left out come from the agreements."""

    branch: str
    borrower: Borrower
    loan: LoanTerms
    option: OptionTerms
    risk_sharing: RiskSharingTerms
    split: ProceedsSplit
    subsidy: SubsidyTerms = field(default_factory=SubsidyTerms)
    agreements: DealAgreements = field(default_factory=DealAgreements)


# ---------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class DealEvent:
    """One step of a deal's life; `details` are the step's amounts and notes as text."""

    kind: str
    value_date: dt.date | None
    request_id: str
    transaction: str
    create_time: dt.datetime | None
    details: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Deal:
    """A linked deal with its live balances (CNY)."""

    name: str
    deal_id: str
    status: DealStatus
    terms: DealTerms
    option_quantity: int
    option_commodity: str
    principal_outstanding: Decimal
    interest_receivable: Decimal
    subsidy_receivable: Decimal
    accrued_to: dt.date | None  # exclusive: the day after accrued_through
    create_time: dt.datetime | None
    events: tuple[DealEvent, ...]
    accrued_through: dt.date | None = None  # the last day whose interest is accrued (inclusive)
    non_accrual_since: dt.date | None = None  # set while on non-accrual: the first day off balance sheet
    off_balance_interest: Decimal = Decimal("0.00")  # interest owed but not recognised (表外应收利息)
    # The borrower's assessment the booking applied (in force on the loan's start date; docs/assessment.md):
    # its name, tier and total score; "" / None / None without one.
    assessment: str = ""
    assessment_tier: BorrowerStage | None = None
    assessment_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class SchedulePeriod:
    """One period of the repayment schedule (CNY)."""

    number: int
    accrual_start: dt.date | None
    accrual_end: dt.date | None
    payment_date: dt.date | None
    days: int
    opening_principal: Decimal
    principal: Decimal
    interest: Decimal
    subsidy: Decimal
    borrower_interest: Decimal
    borrower_payment: Decimal
    provisional: bool = False  # the payment date's year is not in the server's holiday calendar yet


@dataclass(frozen=True, slots=True)
class Schedule:
    """A deal's full schedule and its totals."""

    deal: str
    periods: tuple[SchedulePeriod, ...]
    total_principal: Decimal
    total_interest: Decimal
    total_subsidy: Decimal
    total_borrower_interest: Decimal
    total_borrower_payment: Decimal


@dataclass(frozen=True, slots=True)
class Disbursement:
    deal: Deal
    transaction: str
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time


@dataclass(frozen=True, slots=True)
class BranchAccrual:
    """What one month-end accrual of a branch did, summed over its loans (CNY); each loan's own figures are on
    its `accrued` event (docs/deals.md, "Accruing a whole branch")."""

    deals_accrued: int
    deals_accrued_later: int  # already accrued past the date: left alone
    deals_entering_non_accrual: int
    accrued: Decimal
    subsidy: Decimal
    off_balance_interest: Decimal
    transactions_posted: int
    replayed: bool


@dataclass(frozen=True, slots=True)
class Accrual:
    """Interest accrued by one call (zero if already accrued to the date) and the subsidy fund's part."""

    deal: Deal
    accrued: Decimal
    subsidy: Decimal
    transaction: str
    off_balance_interest: Decimal = Decimal("0.00")  # non-accrual days: tracked off balance sheet, not income
    moved_off_balance: Decimal = Decimal("0.00")  # this call put the loan on non-accrual: interest moved
    subsidy_reversed: Decimal = Decimal("0.00")  # ... and the subsidy receivable reversed with it
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time


@dataclass(frozen=True, slots=True)
class Repayment:
    """How a payment was allocated: overdue interest, then current interest, then principal."""

    deal: Deal
    overdue_interest: Decimal
    interest: Decimal
    principal: Decimal
    subsidy: Decimal
    transaction: str
    off_balance_interest: Decimal = Decimal("0.00")  # paid towards interest tracked off balance sheet
    accrual_resumed: Decimal = Decimal("0.00")  # off-balance interest back on the books as the loan cured
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time


@dataclass(frozen=True, slots=True)
class Default:
    """A default's loss and who covers it: pool paid now, pool claim outstanding, insurer."""

    deal: Deal
    loss: Decimal
    compensation_paid: Decimal
    compensation_claim: Decimal
    insurer_share: Decimal
    transaction: str
    compensation_pending: Decimal = Decimal(0)  # above the agreement's auto-approval limit: a pending claim
    subsidy_reversed: Decimal = Decimal(0)  # subsidy accrued since the last repayment, never due: reversed
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time


class ClaimStatus(enum.StrEnum):
    """Where a compensation claim is."""

    AUTO_APPROVED = "auto_approved"  # within the agreement's auto-approval limit: posted with the default
    PENDING = "pending"  # waiting for the pool's decision; nothing of it posted
    APPROVED = "approved"  # approved by the pool and posted
    REJECTED = "rejected"  # rejected by the pool; nothing posted


@dataclass(frozen=True, slots=True)
class CompensationClaim:
    """The risk pool's compensation of one defaulted deal, and who filed and decided it."""

    name: str
    deal: str
    risk_pool: str
    branch: str
    status: ClaimStatus
    loss: Decimal
    amount: Decimal
    paid: Decimal
    owed: Decimal
    value_date: dt.date | None
    agreement: str
    filed_by: str
    decided_by: str
    reason: str
    transaction: str


@dataclass(frozen=True, slots=True)
class PoolFunding:
    """A contribution to a risk pool and the open claims it paid."""

    risk_pool: str
    amount: Decimal
    claims_paid: Decimal
    transactions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WriteOff:
    """What a write-off (核销) took off the books and what of it the bank bears."""

    deal: Deal
    written_off: Decimal  # the borrower's principal and interest taken off the books
    transaction: str
    loan_loss: Decimal = Decimal(0)  # written_off less the pool's and the insurer's cover applied
    compensation_applied: Decimal = Decimal(0)
    insurance_applied: Decimal = Decimal(0)
    allowance_applied: Decimal = Decimal(0)  # the loan loss allowance used before any loss is booked
    off_balance_interest: Decimal = Decimal(0)  # still owed off balance sheet after the write-off
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time


@dataclass(frozen=True, slots=True)
class Recovery:
    """How a recovery was applied (costs, principal, interest) and shared (pool, insurer, bank)."""

    deal: Deal
    costs: Decimal
    principal: Decimal
    interest: Decimal
    pool_share: Decimal
    pool_set_off: Decimal  # of pool_share, set off against the claim the pool still owes
    insurer_share: Decimal
    insurer_set_off: Decimal  # of insurer_share, set off against what the insurer still owes
    bank_share: Decimal
    transaction: str
    off_balance_interest: Decimal = Decimal(0)  # paid towards interest tracked off balance sheet (the bank's)
    replayed: bool = False  # the request id had been used: the first call's figures, nothing posted this time
