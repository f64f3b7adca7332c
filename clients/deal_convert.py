"""Converting the deal client's values to and from DealService's protobuf messages: money as
`google.type.Money` in CNY, dates, enums by their protobuf names, whole terms and deals."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from google.type import date_pb2, money_pb2

from clients.deal_types import (
    CNY,
    FEN,
    NANOS,
    Borrower,
    BorrowerStage,
    BusinessDay,
    ClaimStatus,
    CompensationClaim,
    DayCount,
    Deal,
    DealAgreements,
    DealEvent,
    DealStatus,
    DealTerms,
    E,
    ExerciseTrigger,
    HolidayCalendar,
    InterestFrequency,
    LoanTerms,
    OptionTerms,
    ProceedsSplit,
    QuantityBasis,
    RiskSharingTerms,
    SchedulePeriod,
    ScheduleType,
    StrikeBasis,
    SubsidyTerms,
    SubsidyType,
)
from clients.values import AmountInput, client_enum_value, party_name, to_decimal
from toudai.v1 import deals_pb2 as pb

# The protobuf enum type and value prefix of each client enum.
_PROTO_ENUMS: dict[type[enum.StrEnum], tuple[Any, str]] = {
    DealStatus: (pb.DealStatus, "DEAL_STATUS"),
    BorrowerStage: (pb.BorrowerStage, "BORROWER_STAGE"),
    ScheduleType: (pb.ScheduleType, "SCHEDULE_TYPE"),
    InterestFrequency: (pb.InterestFrequency, "INTEREST_FREQUENCY"),
    DayCount: (pb.DayCountConvention, "DAY_COUNT_CONVENTION"),
    BusinessDay: (pb.BusinessDayConvention, "BUSINESS_DAY_CONVENTION"),
    HolidayCalendar: (pb.HolidayCalendar, "HOLIDAY_CALENDAR"),
    SubsidyType: (pb.SubsidyType, "SUBSIDY_TYPE"),
    QuantityBasis: (pb.OptionQuantityBasis, "OPTION_QUANTITY_BASIS"),
    StrikeBasis: (pb.StrikeBasis, "STRIKE_BASIS"),
    ExerciseTrigger: (pb.ExerciseTrigger, "EXERCISE_TRIGGER"),
    ClaimStatus: (pb.ClaimStatus, "CLAIM_STATUS"),
}


def enum_number(value: enum.StrEnum | None) -> Any:
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


# ---------------------------------------------------------------- conversions


def deal_name(deal: str) -> str:
    """`hz-2026-001` or `deals/hz-2026-001` → `deals/hz-2026-001`."""
    return deal if deal.startswith("deals/") else f"deals/{deal}"


def party_id(name: str) -> str:
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


def date_message(value: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def _date_of(message: date_pb2.Date) -> dt.date:
    return dt.date(message.year, message.month, message.day)


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


def party(party: str) -> str:
    return party_name(party) if party else ""


def terms_message(terms: DealTerms) -> pb.DealTerms:
    """DealTerms as the protobuf message BookLinkedDeal takes."""
    b, lo, su, op, ri, sp = terms.borrower, terms.loan, terms.subsidy, terms.option, terms.risk_sharing, terms.split
    borrower = pb.Borrower(name=b.name, uscc=b.uscc, stage=enum_number(b.stage))
    if b.credit_score is not None:
        borrower.credit_score = b.credit_score
    option = pb.OptionTerms(
        holder=party(op.holder),
        company=op.company,
        share_class=op.share_class,
        quantity_basis=enum_number(op.quantity_basis),
        shares=op.shares,
        stake=_text(op.stake),
        coverage=_text(op.coverage),
        fully_diluted_shares=op.fully_diluted_shares,
        strike_basis=enum_number(op.strike_basis),
        strike_price=_text(op.strike_price),
        discount=_text(op.discount),
        triggers=[enum_number(t) for t in op.triggers],
    )
    for name in ("valuation_cap", "qualifying_round_size", "valuation_threshold"):
        amount = getattr(op, name)
        if amount is not None:
            getattr(option, name).CopyFrom(money_message(amount, f"option.{name}"))
    for name in ("exercise_window_start", "exercise_window_end"):
        day = getattr(op, name)
        if day is not None:
            getattr(option, name).CopyFrom(date_message(day))
    subsidy = pb.SubsidyTerms(
        type=enum_number(su.type),
        subsidy_fund=party(su.subsidy_fund),
        rate_points=_text(su.rate_points),
        share=_text(su.share),
    )
    if su.cap is not None:
        subsidy.cap.CopyFrom(money_message(su.cap, "subsidy.cap"))
    risk = pb.RiskSharingTerms(
        risk_pool=party(ri.risk_pool),
        base_rate=_text(ri.base_rate),
        first_loan=ri.first_loan,
        first_loan_rate=_text(ri.first_loan_rate),
        unsecured_share=_text(ri.unsecured_share),
        unsecured_threshold=_text(ri.unsecured_threshold),
        unsecured_rate=_text(ri.unsecured_rate),
        insurer=party(ri.insurer),
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
        branch=party(terms.branch),
        borrower=borrower,
        loan=pb.LoanTerms(
            principal=money_message(lo.principal, "loan.principal"),
            annual_rate=_text(lo.annual_rate),
            day_count=enum_number(lo.day_count),
            start_date=date_message(lo.start_date),
            maturity_date=date_message(lo.maturity_date),
            schedule=enum_number(lo.schedule),
            frequency=enum_number(lo.frequency),
            business_day=enum_number(lo.business_day),
            end_of_month=lo.end_of_month,
            calendar=pb.BusinessCalendar(
                base=enum_number(lo.calendar),
                extra_holidays=[date_message(d) for d in lo.extra_holidays],
                extra_working_days=[date_message(d) for d in lo.extra_working_days],
            ),
        ),
        subsidy=subsidy,
        option=option,
        risk_sharing=risk,
        split=split,
        agreements=pb.DealAgreements(
            risk_sharing=_agreement(terms.agreements.risk_sharing),
            linkage=_agreement(terms.agreements.linkage),
            subsidy=_agreement(terms.agreements.subsidy),
        ),
    )


def _agreement(name: str) -> str:
    """An agreement id or name as the API takes it (`agreements/{id}`), empty for none."""
    return name if not name or name.startswith("agreements/") else f"agreements/{name}"


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
        branch=party_id(message.branch),
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
            calendar=_enum_from(HolidayCalendar, lo.calendar.base) or HolidayCalendar.CN_MAINLAND,
            extra_holidays=tuple(_date_of(d) for d in lo.calendar.extra_holidays),
            extra_working_days=tuple(_date_of(d) for d in lo.calendar.extra_working_days),
        ),
        subsidy=SubsidyTerms(
            type=_enum_from(SubsidyType, su.type) or SubsidyType.NONE,
            subsidy_fund=party_id(su.subsidy_fund),
            rate_points=_decimal(su.rate_points),
            share=_decimal(su.share),
            cap=_optional_money(su, "cap"),
        ),
        option=OptionTerms(
            holder=party_id(op.holder),
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
            risk_pool=party_id(ri.risk_pool),
            base_rate=Decimal(ri.base_rate or "0"),
            first_loan=ri.first_loan,
            first_loan_rate=_decimal(ri.first_loan_rate),
            unsecured_share=_decimal(ri.unsecured_share),
            unsecured_threshold=_decimal(ri.unsecured_threshold),
            unsecured_rate=_decimal(ri.unsecured_rate),
            cap=_optional_money(ri, "cap"),
            insurer=party_id(ri.insurer),
            insurer_rate=_decimal(ri.insurer_rate),
        ),
        split=ProceedsSplit(
            bank_bps=sp.bank_bps,
            investment_arm_bps=sp.investment_arm_bps,
            risk_pool_bps=sp.risk_pool_bps,
            advisory_fee=_optional_money(sp, "advisory_fee"),
        ),
        agreements=DealAgreements(
            risk_sharing=message.agreements.risk_sharing,
            linkage=message.agreements.linkage,
            subsidy=message.agreements.subsidy,
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
        accrued_through=_date_value(message, "accrued_through"),
        non_accrual_since=_date_value(message, "non_accrual_since"),
        off_balance_interest=money_value(message.off_balance_interest),
        assessment=message.assessment,
        assessment_tier=_enum_from(BorrowerStage, message.assessment_tier),
        assessment_score=Decimal(message.assessment_score) if message.assessment_score else None,
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
        provisional=message.provisional,
    )


def claim_name(deal: str) -> str:
    """`claims/{deal}` from a claim name, a deal name or a deal id."""
    return "claims/" + deal.removeprefix("claims/").removeprefix("deals/")


def claim_from(message: pb.CompensationClaim) -> CompensationClaim:
    return CompensationClaim(
        name=message.name,
        deal=message.deal,
        risk_pool=party_id(message.risk_pool),
        branch=party_id(message.branch),
        status=_enum_from(ClaimStatus, message.status) or ClaimStatus.PENDING,
        loss=money_value(message.loss),
        amount=money_value(message.amount),
        paid=money_value(message.paid),
        owed=money_value(message.owed),
        value_date=_date_value(message, "value_date"),
        agreement=message.agreement,
        filed_by=message.filed_by.principal,
        decided_by=message.decided_by.principal,
        reason=message.reason,
        transaction=message.transaction,
    )
