"""`DealClient`: typed Python calls of toudai's DealService, on a `ToudaiClient`'s channel.

Like `ToudaiClient`, it hides gRPC completely. Deal terms go in and come out as frozen dataclasses;
money is `Decimal` in CNY ("10000000.00"), rates and fractions are `Decimal` ("0.0435" is 4.35%),
parties are bare party ids (`bank-hz`, as people type them), deals are `deals/{deal}` or the bare id.
Calls get the client's deadline, retries with one request_id per call, and typed errors.

    with ToudaiClient("127.0.0.1:50051") as client:
        deals = DealClient(client)
        deal = deals.book("hz-2026-001", terms, request_id="book-hz-2026-001")
        deals.disburse(deal.name)
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from google.protobuf import message as protobuf_message
from google.type import date_pb2, money_pb2

from clients.client import ToudaiClient, new_request_id
from clients.values import AmountInput, client_enum_value, party_name, to_decimal
from toudai.v1 import deals_pb2 as pb
from toudai.v1 import deals_pb2_grpc as pb_grpc

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


# The protobuf enum type and value prefix of each client enum.
_PROTO_ENUMS: dict[type[enum.StrEnum], tuple[Any, str]] = {
    DealStatus: (pb.DealStatus, "DEAL_STATUS"),
    BorrowerStage: (pb.BorrowerStage, "BORROWER_STAGE"),
    ScheduleType: (pb.ScheduleType, "SCHEDULE_TYPE"),
    InterestFrequency: (pb.InterestFrequency, "INTEREST_FREQUENCY"),
    DayCount: (pb.DayCountConvention, "DAY_COUNT_CONVENTION"),
    BusinessDay: (pb.BusinessDayConvention, "BUSINESS_DAY_CONVENTION"),
    SubsidyType: (pb.SubsidyType, "SUBSIDY_TYPE"),
    QuantityBasis: (pb.OptionQuantityBasis, "OPTION_QUANTITY_BASIS"),
    StrikeBasis: (pb.StrikeBasis, "STRIKE_BASIS"),
    ExerciseTrigger: (pb.ExerciseTrigger, "EXERCISE_TRIGGER"),
}


def _enum_number(value: enum.StrEnum | None) -> Any:
    """The protobuf enum number of a client enum value (0, unspecified, for None)."""
    if value is None:
        return 0
    proto_enum, prefix = _PROTO_ENUMS[type(value)]
    return proto_enum.Value(f"{prefix}_{value.value.upper()}")


def _enum_from(enum_type: type[E], number: int) -> E | None:
    if number == 0:
        return None
    proto_enum, prefix = _PROTO_ENUMS[enum_type]
    return enum_type(client_enum_value(prefix, proto_enum.Name(number)))


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
class DealTerms:
    """Everything agreed at signing."""

    branch: str
    borrower: Borrower
    loan: LoanTerms
    option: OptionTerms
    risk_sharing: RiskSharingTerms
    split: ProceedsSplit
    subsidy: SubsidyTerms = field(default_factory=SubsidyTerms)


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
    accrued_to: dt.date | None
    create_time: dt.datetime | None
    events: tuple[DealEvent, ...]


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


@dataclass(frozen=True, slots=True)
class Accrual:
    """Interest accrued by one call (zero if already accrued to the date) and the subsidy fund's part."""

    deal: Deal
    accrued: Decimal
    subsidy: Decimal
    transaction: str


@dataclass(frozen=True, slots=True)
class Repayment:
    """How a payment was allocated: overdue interest, then current interest, then principal."""

    deal: Deal
    overdue_interest: Decimal
    interest: Decimal
    principal: Decimal
    subsidy: Decimal
    transaction: str


@dataclass(frozen=True, slots=True)
class Default:
    """A default's loss and who covers it: pool paid now, pool claim outstanding, insurer."""

    deal: Deal
    loss: Decimal
    compensation_paid: Decimal
    compensation_claim: Decimal
    insurer_share: Decimal
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
    deal: Deal
    written_off: Decimal
    transaction: str


# ---------------------------------------------------------------- conversions


def deal_name(deal: str) -> str:
    """`hz-2026-001` or `deals/hz-2026-001` → `deals/hz-2026-001`."""
    return deal if deal.startswith("deals/") else f"deals/{deal}"


def _party_id(name: str) -> str:
    return name.removeprefix("parties/")


def money_message(value: AmountInput, what: str = "amount") -> money_pb2.Money:
    """An exact CNY amount as google.type.Money; ValueError beyond nanos (the server refuses beyond a fen)."""
    amount = to_decimal(value, what)
    nanos_total = amount * NANOS
    if nanos_total != nanos_total.to_integral_value():
        raise ValueError(f"{what} {value} has more decimal places than google.type.Money can carry")
    total = int(nanos_total)
    sign = -1 if total < 0 else 1
    units, nanos = divmod(abs(total), NANOS)
    return money_pb2.Money(currency_code=CNY, units=sign * units, nanos=sign * nanos)


def money_value(message: money_pb2.Money) -> Decimal:
    """google.type.Money as a Decimal, to the fen when it is a whole number of fen."""
    value = Decimal(message.units) + Decimal(message.nanos).scaleb(-9)
    rounded = value.quantize(FEN)
    return rounded if rounded == value else value.normalize()


def _optional_money(owner: Any, field_name: str) -> Decimal | None:
    return money_value(getattr(owner, field_name)) if owner.HasField(field_name) else None


def _date_message(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _date_value(owner: Any, field_name: str) -> dt.date | None:
    if not owner.HasField(field_name):
        return None
    message = getattr(owner, field_name)
    if message.year == 0:
        return None
    return dt.date(message.year, message.month, message.day)


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def _party(party: str) -> str:
    return party_name(party) if party else ""


def terms_message(terms: DealTerms) -> pb.DealTerms:
    """DealTerms as the protobuf message BookLinkedDeal takes."""
    b, lo, su, op, ri, sp = terms.borrower, terms.loan, terms.subsidy, terms.option, terms.risk_sharing, terms.split
    borrower = pb.Borrower(name=b.name, uscc=b.uscc, stage=_enum_number(b.stage))
    if b.credit_score is not None:
        borrower.credit_score = b.credit_score
    option = pb.OptionTerms(
        holder=_party(op.holder),
        company=op.company,
        share_class=op.share_class,
        quantity_basis=_enum_number(op.quantity_basis),
        shares=op.shares,
        stake=_text(op.stake),
        coverage=_text(op.coverage),
        fully_diluted_shares=op.fully_diluted_shares,
        strike_basis=_enum_number(op.strike_basis),
        strike_price=_text(op.strike_price),
        discount=_text(op.discount),
        triggers=[_enum_number(t) for t in op.triggers],
    )
    for name in ("valuation_cap", "qualifying_round_size", "valuation_threshold"):
        amount = getattr(op, name)
        if amount is not None:
            getattr(option, name).CopyFrom(money_message(amount, f"option.{name}"))
    for name in ("exercise_window_start", "exercise_window_end"):
        day = getattr(op, name)
        if day is not None:
            getattr(option, name).CopyFrom(_date_message(day))
    subsidy = pb.SubsidyTerms(
        type=_enum_number(su.type),
        subsidy_fund=_party(su.subsidy_fund),
        rate_points=_text(su.rate_points),
        share=_text(su.share),
    )
    if su.cap is not None:
        subsidy.cap.CopyFrom(money_message(su.cap, "subsidy.cap"))
    risk = pb.RiskSharingTerms(
        risk_pool=_party(ri.risk_pool),
        base_rate=_text(ri.base_rate),
        first_loan=ri.first_loan,
        first_loan_rate=_text(ri.first_loan_rate),
        unsecured_share=_text(ri.unsecured_share),
        unsecured_threshold=_text(ri.unsecured_threshold),
        unsecured_rate=_text(ri.unsecured_rate),
        insurer=_party(ri.insurer),
        insurer_rate=_text(ri.insurer_rate),
    )
    if ri.cap is not None:
        risk.cap.CopyFrom(money_message(ri.cap, "risk_sharing.cap"))
    split = pb.ProceedsSplit(
        bank_bps=sp.bank_bps, investment_arm_bps=sp.investment_arm_bps, risk_pool_bps=sp.risk_pool_bps
    )
    if sp.advisory_fee is not None:
        split.advisory_fee.CopyFrom(money_message(sp.advisory_fee, "split.advisory_fee"))
    return pb.DealTerms(
        branch=_party(terms.branch),
        borrower=borrower,
        loan=pb.LoanTerms(
            principal=money_message(lo.principal, "loan.principal"),
            annual_rate=_text(lo.annual_rate),
            day_count=_enum_number(lo.day_count),
            start_date=_date_message(lo.start_date),
            maturity_date=_date_message(lo.maturity_date),
            schedule=_enum_number(lo.schedule),
            frequency=_enum_number(lo.frequency),
            business_day=_enum_number(lo.business_day),
            end_of_month=lo.end_of_month,
        ),
        subsidy=subsidy,
        option=option,
        risk_sharing=risk,
        split=split,
    )


def terms_from(message: pb.DealTerms) -> DealTerms:
    b, lo, su, op, ri, sp = (
        message.borrower,
        message.loan,
        message.subsidy,
        message.option,
        message.risk_sharing,
        message.split,
    )
    return DealTerms(
        branch=_party_id(message.branch),
        borrower=Borrower(
            name=b.name,
            uscc=b.uscc,
            stage=_enum_from(BorrowerStage, b.stage),
            credit_score=b.credit_score if b.HasField("credit_score") else None,
        ),
        loan=LoanTerms(
            principal=money_value(lo.principal),
            annual_rate=Decimal(lo.annual_rate or "0"),
            start_date=_date_value(lo, "start_date") or dt.date.min,
            maturity_date=_date_value(lo, "maturity_date") or dt.date.min,
            schedule=_enum_from(ScheduleType, lo.schedule) or ScheduleType.BULLET,
            frequency=_enum_from(InterestFrequency, lo.frequency) or InterestFrequency.MONTHLY,
            day_count=_enum_from(DayCount, lo.day_count) or DayCount.ACT_360,
            business_day=_enum_from(BusinessDay, lo.business_day) or BusinessDay.MODIFIED_FOLLOWING,
            end_of_month=lo.end_of_month,
        ),
        subsidy=SubsidyTerms(
            type=_enum_from(SubsidyType, su.type) or SubsidyType.NONE,
            subsidy_fund=_party_id(su.subsidy_fund),
            rate_points=_decimal(su.rate_points),
            share=_decimal(su.share),
            cap=_optional_money(su, "cap"),
        ),
        option=OptionTerms(
            holder=_party_id(op.holder),
            company=op.company,
            share_class=op.share_class,
            quantity_basis=_enum_from(QuantityBasis, op.quantity_basis),
            strike_basis=_enum_from(StrikeBasis, op.strike_basis),
            shares=op.shares,
            stake=_decimal(op.stake),
            coverage=_decimal(op.coverage),
            fully_diluted_shares=op.fully_diluted_shares,
            strike_price=_decimal(op.strike_price),
            discount=_decimal(op.discount),
            valuation_cap=_optional_money(op, "valuation_cap"),
            exercise_window_start=_date_value(op, "exercise_window_start"),
            exercise_window_end=_date_value(op, "exercise_window_end"),
            triggers=tuple(t for n in op.triggers if (t := _enum_from(ExerciseTrigger, n)) is not None),
            qualifying_round_size=_optional_money(op, "qualifying_round_size"),
            valuation_threshold=_optional_money(op, "valuation_threshold"),
        ),
        risk_sharing=RiskSharingTerms(
            risk_pool=_party_id(ri.risk_pool),
            base_rate=Decimal(ri.base_rate or "0"),
            first_loan=ri.first_loan,
            first_loan_rate=_decimal(ri.first_loan_rate),
            unsecured_share=_decimal(ri.unsecured_share),
            unsecured_threshold=_decimal(ri.unsecured_threshold),
            unsecured_rate=_decimal(ri.unsecured_rate),
            cap=_optional_money(ri, "cap"),
            insurer=_party_id(ri.insurer),
            insurer_rate=_decimal(ri.insurer_rate),
        ),
        split=ProceedsSplit(
            bank_bps=sp.bank_bps,
            investment_arm_bps=sp.investment_arm_bps,
            risk_pool_bps=sp.risk_pool_bps,
            advisory_fee=_optional_money(sp, "advisory_fee"),
        ),
    )


def _instant(owner: Any, field_name: str) -> dt.datetime | None:
    if not owner.HasField(field_name):
        return None
    result: dt.datetime = getattr(owner, field_name).ToDatetime(tzinfo=dt.UTC)
    return result


def deal_from(message: pb.Deal) -> Deal:
    return Deal(
        name=message.name,
        deal_id=message.name.removeprefix("deals/"),
        status=_enum_from(DealStatus, message.status) or DealStatus.BOOKED,
        terms=terms_from(message.terms),
        option_quantity=message.option_quantity,
        option_commodity=message.option_commodity,
        principal_outstanding=money_value(message.principal_outstanding),
        interest_receivable=money_value(message.interest_receivable),
        subsidy_receivable=money_value(message.subsidy_receivable),
        accrued_to=_date_value(message, "accrued_to"),
        create_time=_instant(message, "create_time"),
        events=tuple(
            DealEvent(
                kind=e.kind,
                value_date=_date_value(e, "value_date"),
                request_id=e.request_id,
                transaction=e.transaction,
                create_time=_instant(e, "create_time"),
                details=dict(sorted(e.details.items())),
            )
            for e in message.events
        ),
    )


def period_from(message: pb.SchedulePeriod) -> SchedulePeriod:
    return SchedulePeriod(
        number=message.number,
        accrual_start=_date_value(message, "accrual_start"),
        accrual_end=_date_value(message, "accrual_end"),
        payment_date=_date_value(message, "payment_date"),
        days=message.days,
        opening_principal=money_value(message.opening_principal),
        principal=money_value(message.principal),
        interest=money_value(message.interest),
        subsidy=money_value(message.subsidy),
        borrower_interest=money_value(message.borrower_interest),
        borrower_payment=money_value(message.borrower_payment),
    )


# ---------------------------------------------------------------- the client


class DealClient:
    """DealService calls on a `ToudaiClient` (its channel, deadline, retries and token)."""

    def __init__(self, client: ToudaiClient) -> None:
        self._client = client
        self._stub: Any = client.stub(pb_grpc.DealServiceStub)

    def _call(self, method: str, request: protobuf_message.Message) -> Any:
        return self._client.call(self._stub, method, request)

    def book(self, deal_id: str, terms: DealTerms, *, request_id: str | None = None) -> Deal:
        """Book a deal. Every violation in the terms comes back at once (InvalidArgumentError)."""
        request = pb.BookLinkedDealRequest(
            request_id=request_id or new_request_id(),
            deal_id=deal_id.removeprefix("deals/"),
            terms=terms_message(terms),
        )
        return deal_from(self._call("BookLinkedDeal", request).deal)

    def get(self, deal: str) -> Deal:
        """Read one deal with its balances and events."""
        return deal_from(self._call("GetDeal", pb.GetDealRequest(name=deal_name(deal))).deal)

    def list(
        self,
        *,
        branch: str | None = None,
        status: DealStatus | str | None = None,
        borrower_uscc: str | None = None,
        holder: str | None = None,
        page_size: int = 0,
    ) -> Iterator[Deal]:
        """Every deal matching the filters, in deal id order, fetched page by page."""
        request = pb.ListDealsRequest(
            branch=_party(branch or ""),
            status=_enum_number(DealStatus(status) if status else None),
            borrower_uscc=borrower_uscc or "",
            holder=_party(holder or ""),
            page_size=page_size,
        )
        return (deal_from(d) for d in self._client.pages(self._stub, "ListDeals", request, "deals"))

    def schedule(self, deal: str) -> Schedule:
        """The full repayment schedule with interest, subsidy and the borrower's share per period."""
        response = self._call("GetSchedule", pb.GetScheduleRequest(name=deal_name(deal)))
        periods = tuple(period_from(p) for p in response.periods)
        zero = Decimal("0.00")
        return Schedule(
            deal=deal_name(deal),
            periods=periods,
            total_principal=sum((p.principal for p in periods), zero),
            total_interest=money_value(response.total_interest),
            total_subsidy=money_value(response.total_subsidy),
            total_borrower_interest=money_value(response.total_borrower_interest),
            total_borrower_payment=sum((p.borrower_payment for p in periods), zero),
        )

    def disburse(self, deal: str, *, value_date: dt.date | None = None, request_id: str | None = None) -> Disbursement:
        """Pay out the principal (value date: the loan's start date unless given)."""
        request = pb.DisburseLoanRequest(request_id=request_id or new_request_id(), name=deal_name(deal))
        if value_date is not None:
            request.value_date.CopyFrom(_date_message(value_date))
        response = self._call("DisburseLoan", request)
        return Disbursement(deal=deal_from(response.deal), transaction=response.transaction)

    def accrue(self, deal: str, to_date: dt.date, *, request_id: str | None = None) -> Accrual:
        """Accrue interest up to `to_date` (exclusive); accruing again to the same date posts nothing."""
        request = pb.AccrueInterestRequest(
            request_id=request_id or new_request_id(), name=deal_name(deal), to_date=_date_message(to_date)
        )
        response = self._call("AccrueInterest", request)
        return Accrual(
            deal=deal_from(response.deal),
            accrued=money_value(response.accrued),
            subsidy=money_value(response.subsidy),
            transaction=response.transaction,
        )

    def repay(self, deal: str, amount: AmountInput, value_date: dt.date, *, request_id: str | None = None) -> Repayment:
        """Record what the borrower paid; it goes to overdue interest, then interest, then principal."""
        request = pb.RecordRepaymentRequest(
            request_id=request_id or new_request_id(),
            name=deal_name(deal),
            amount=money_message(amount),
            value_date=_date_message(value_date),
        )
        response = self._call("RecordRepayment", request)
        return Repayment(
            deal=deal_from(response.deal),
            overdue_interest=money_value(response.overdue_interest),
            interest=money_value(response.interest),
            principal=money_value(response.principal),
            subsidy=money_value(response.subsidy),
            transaction=response.transaction,
        )

    def record_default(
        self, deal: str, value_date: dt.date, *, reason: str = "", request_id: str | None = None
    ) -> Default:
        """Record a default: the risk pool (up to its cap and its cash) and the insurer cover their shares."""
        request = pb.RecordDefaultRequest(
            request_id=request_id or new_request_id(),
            name=deal_name(deal),
            value_date=_date_message(value_date),
            reason=reason,
        )
        response = self._call("RecordDefault", request)
        return Default(
            deal=deal_from(response.deal),
            loss=money_value(response.loss),
            compensation_paid=money_value(response.compensation_paid),
            compensation_claim=money_value(response.compensation_claim),
            insurer_share=money_value(response.insurer_share),
            transaction=response.transaction,
        )

    def fund_pool(
        self, risk_pool: str, amount: AmountInput, value_date: dt.date, *, request_id: str | None = None
    ) -> PoolFunding:
        """Add money to a risk pool; it pays the pool's open claims, oldest default first."""
        request = pb.FundRiskPoolRequest(
            request_id=request_id or new_request_id(),
            risk_pool=party_name(risk_pool),
            amount=money_message(amount),
            value_date=_date_message(value_date),
        )
        response = self._call("FundRiskPool", request)
        return PoolFunding(
            risk_pool=_party_id(risk_pool),
            amount=money_value(request.amount),
            claims_paid=money_value(response.claims_paid),
            transactions=tuple(response.transactions),
        )

    def write_off(self, deal: str, value_date: dt.date, *, request_id: str | None = None) -> WriteOff:
        """Write off what remains of a defaulted loan."""
        request = pb.WriteOffRequest(
            request_id=request_id or new_request_id(), name=deal_name(deal), value_date=_date_message(value_date)
        )
        response = self._call("WriteOff", request)
        return WriteOff(
            deal=deal_from(response.deal),
            written_off=money_value(response.written_off),
            transaction=response.transaction,
        )

    def close(self, deal: str, *, request_id: str | None = None) -> Deal:
        """Close a fully repaid deal."""
        request = pb.CloseDealRequest(request_id=request_id or new_request_id(), name=deal_name(deal))
        return deal_from(self._call("CloseDeal", request).deal)
