"""Protobuf <-> domain conversion for DealService: money, rates, dates, enums and the deal terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from google.type import date_pb2, money_pb2

from deals.agreements.desk import parse_agreement_name
from deals.calendar import BusinessCalendar, CalendarKind
from deals.claims import Claim, ClaimStatus
from deals.model import Deal, DealEvent, DealStatus
from deals.schedule import (
    BusinessDay,
    DayCount,
    Frequency,
    LoanTerms,
    Period,
    ScheduleKind,
    Subsidy,
    SubsidyKind,
)
from deals.terms import (
    Band,
    Borrower,
    DealAgreements,
    DealTerms,
    OptionTerms,
    QuantityBasis,
    Reimbursement,
    RiskSharing,
    Split,
    Stage,
    StrikeBasis,
    Trigger,
)
from ledger import names
from ledger.amounts import format_minor
from ledger.errors import InvalidArgument, ViolationCollector
from ledger.validation import check_decimal
from server.convert import date_in, date_out, instant_out
from toudai.v1 import deals_pb2 as pb

STATUS = {
    DealStatus.BOOKED: pb.DEAL_STATUS_BOOKED,
    DealStatus.DISBURSED: pb.DEAL_STATUS_DISBURSED,
    DealStatus.REPAYING: pb.DEAL_STATUS_REPAYING,
    DealStatus.CLOSED: pb.DEAL_STATUS_CLOSED,
    DealStatus.DEFAULTED: pb.DEAL_STATUS_DEFAULTED,
    DealStatus.WRITTEN_OFF: pb.DEAL_STATUS_WRITTEN_OFF,
}
STATUS_IN = {v: k for k, v in STATUS.items()}
REIMBURSEMENT = {
    Reimbursement.BORROWER: pb.POOL_REIMBURSEMENT_BORROWER,
    Reimbursement.PORTFOLIO: pb.POOL_REIMBURSEMENT_PORTFOLIO,
    Reimbursement.NONE: pb.POOL_REIMBURSEMENT_NONE,
}
STAGE = {
    Stage.START_UP: pb.BORROWER_STAGE_START_UP,
    Stage.GROWTH: pb.BORROWER_STAGE_GROWTH,
    Stage.MATURE: pb.BORROWER_STAGE_MATURE,
}
SCHEDULE = {
    ScheduleKind.BULLET: pb.SCHEDULE_TYPE_BULLET,
    ScheduleKind.EQUAL_PRINCIPAL: pb.SCHEDULE_TYPE_EQUAL_PRINCIPAL,
    ScheduleKind.EQUAL_INSTALMENT: pb.SCHEDULE_TYPE_EQUAL_INSTALMENT,
}
FREQUENCY = {Frequency.MONTHLY: pb.INTEREST_FREQUENCY_MONTHLY, Frequency.QUARTERLY: pb.INTEREST_FREQUENCY_QUARTERLY}
DAY_COUNT = {DayCount.ACT_360: pb.DAY_COUNT_CONVENTION_ACT_360, DayCount.ACT_365F: pb.DAY_COUNT_CONVENTION_ACT_365F}
BUSINESS_DAY = {
    BusinessDay.UNADJUSTED: pb.BUSINESS_DAY_CONVENTION_UNADJUSTED,
    BusinessDay.FOLLOWING: pb.BUSINESS_DAY_CONVENTION_FOLLOWING,
    BusinessDay.MODIFIED_FOLLOWING: pb.BUSINESS_DAY_CONVENTION_MODIFIED_FOLLOWING,
    BusinessDay.PRECEDING: pb.BUSINESS_DAY_CONVENTION_PRECEDING,
}
SUBSIDY = {
    SubsidyKind.NONE: pb.SUBSIDY_TYPE_NONE,
    SubsidyKind.RATE_POINTS: pb.SUBSIDY_TYPE_RATE_POINTS,
    SubsidyKind.INTEREST_SHARE: pb.SUBSIDY_TYPE_INTEREST_SHARE,
}
QUANTITY = {
    QuantityBasis.SHARES: pb.OPTION_QUANTITY_BASIS_SHARES,
    QuantityBasis.STAKE: pb.OPTION_QUANTITY_BASIS_STAKE,
    QuantityBasis.COVERAGE: pb.OPTION_QUANTITY_BASIS_COVERAGE,
}
STRIKE = {
    StrikeBasis.FIXED_PRICE: pb.STRIKE_BASIS_FIXED_PRICE,
    StrikeBasis.LAST_ROUND_PRICE: pb.STRIKE_BASIS_LAST_ROUND_PRICE,
    StrikeBasis.NEXT_ROUND_DISCOUNT: pb.STRIKE_BASIS_NEXT_ROUND_DISCOUNT,
    StrikeBasis.VALUATION_CAP: pb.STRIKE_BASIS_VALUATION_CAP,
}
TRIGGER = {
    Trigger.QUALIFYING_ROUND: pb.EXERCISE_TRIGGER_QUALIFYING_ROUND,
    Trigger.IPO: pb.EXERCISE_TRIGGER_IPO,
    Trigger.MERGER: pb.EXERCISE_TRIGGER_MERGER,
    Trigger.VALUATION_THRESHOLD: pb.EXERCISE_TRIGGER_VALUATION_THRESHOLD,
}


K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


def _inverse(mapping: Mapping[K, V]) -> dict[V, K]:
    return {v: k for k, v in mapping.items()}


# ---------------------------------------------------------------- scalars in


def money_in(message: money_pb2.Money, path: str, errors: ViolationCollector, *, required: bool = True) -> int:
    """google.type.Money in CNY to fen; more precision than a fen, another currency or mixed signs refused."""
    if message.currency_code == "" and message.units == 0 and message.nanos == 0:
        if required:
            errors.add(path, "is required (google.type.Money in CNY)")
        return 0
    if message.currency_code != "CNY":
        errors.add(f"{path}.currency_code", f"must be CNY (got {message.currency_code!r})", "COMMODITY_MISMATCH")
        return 0
    if (message.units > 0 and message.nanos < 0) or (message.units < 0 and message.nanos > 0):
        errors.add(f"{path}.nanos", "must have the same sign as units")
        return 0
    if message.nanos % 10_000_000:
        errors.add(
            f"{path}.nanos", "has more precision than a fen (nanos must be a multiple of 10,000,000)", "INVALID_AMOUNT"
        )
        return 0
    fen = int(message.units) * 100 + int(message.nanos) // 10_000_000
    if abs(fen) > 10**17:
        errors.add(path, "is too large")
        return 0
    return fen


def money_out(fen: int) -> money_pb2.Money:
    sign = -1 if fen < 0 else 1
    units, rest = divmod(abs(fen), 100)
    return money_pb2.Money(currency_code="CNY", units=sign * units, nanos=sign * rest * 10_000_000)


def decimal_in(text: str, path: str, errors: ViolationCollector, *, required: bool = False) -> Decimal:
    """An exact decimal string such as "0.0435"; junk, exponents, spaces and non-finite values are refused."""
    return check_decimal(text, path, errors, required="0.0435" if required else "")


def _party(name: str, path: str, errors: ViolationCollector, *, required: bool = True) -> str:
    if not name:
        if required:
            errors.add(path, "is required: parties/{party}")
        return ""
    try:
        return names.parse_party_name(name)
    except names.BadName as exc:
        errors.add(path, str(exc))
        return ""


def _date(owner: object, field: str, path: str, errors: ViolationCollector, *, required: bool = True) -> dt.date:
    if not owner.HasField(field):  # type: ignore[attr-defined]
        if required:
            errors.add(path, "is required")
        return dt.date(1970, 1, 1)
    return date_in(getattr(owner, field), path, errors) or dt.date(1970, 1, 1)


def enum_in(mapping: Mapping[T, Any], value: int, path: str, errors: ViolationCollector, default: T | None) -> T | None:
    if value == 0:
        return default
    found = _inverse(mapping).get(value)
    if found is None:
        errors.add(path, f"{value} is not a known value")
    return found


# ---------------------------------------------------------------- terms in


def terms_in(message: pb.DealTerms, errors: ViolationCollector) -> DealTerms:
    """Convert DealTerms, adding a violation at its path for every unreadable field."""
    p = "terms"
    b, lo, su, op, ri, sp = (
        message.borrower,
        message.loan,
        message.subsidy,
        message.option,
        message.risk_sharing,
        message.split,
    )
    borrower = Borrower(
        name=b.name,
        uscc=b.uscc,
        stage=enum_in(STAGE, b.stage, f"{p}.borrower.stage", errors, None),
        credit_score=b.credit_score if b.HasField("credit_score") else None,
    )
    start = _date(lo, "start_date", f"{p}.loan.start_date", errors)
    loan = LoanTerms(
        principal=money_in(lo.principal, f"{p}.loan.principal", errors),
        annual_rate=decimal_in(lo.annual_rate, f"{p}.loan.annual_rate", errors, required=True),
        start=start,
        maturity=_date(lo, "maturity_date", f"{p}.loan.maturity_date", errors),
        schedule=enum_in(SCHEDULE, lo.schedule, f"{p}.loan.schedule", errors, ScheduleKind.BULLET)
        or ScheduleKind.BULLET,
        frequency=enum_in(FREQUENCY, lo.frequency, f"{p}.loan.frequency", errors, Frequency.MONTHLY)
        or Frequency.MONTHLY,
        day_count=enum_in(DAY_COUNT, lo.day_count, f"{p}.loan.day_count", errors, DayCount.ACT_360) or DayCount.ACT_360,
        business_day=enum_in(
            BUSINESS_DAY, lo.business_day, f"{p}.loan.business_day", errors, BusinessDay.MODIFIED_FOLLOWING
        )
        or BusinessDay.MODIFIED_FOLLOWING,
        end_of_month=lo.end_of_month,
        calendar=calendar_in(lo.calendar, f"{p}.loan.calendar", errors),
    )
    kind = enum_in(SUBSIDY, su.type, f"{p}.subsidy.type", errors, SubsidyKind.NONE) or SubsidyKind.NONE
    subsidy = Subsidy(
        kind=kind,
        rate_points=decimal_in(
            su.rate_points, f"{p}.subsidy.rate_points", errors, required=kind is SubsidyKind.RATE_POINTS
        ),
        share=decimal_in(su.share, f"{p}.subsidy.share", errors, required=kind is SubsidyKind.INTEREST_SHARE),
        cap=money_in(su.cap, f"{p}.subsidy.cap", errors) if su.HasField("cap") else None,
    )
    option = OptionTerms(
        holder=_party(op.holder, f"{p}.option.holder", errors),
        company=op.company,
        share_class=op.share_class,
        quantity_basis=enum_in(QUANTITY, op.quantity_basis, f"{p}.option.quantity_basis", errors, None),
        shares=op.shares,
        stake=decimal_in(op.stake, f"{p}.option.stake", errors),
        coverage=decimal_in(op.coverage, f"{p}.option.coverage", errors),
        fully_diluted_shares=op.fully_diluted_shares,
        strike_basis=enum_in(STRIKE, op.strike_basis, f"{p}.option.strike_basis", errors, None),
        strike_price=decimal_in(op.strike_price, f"{p}.option.strike_price", errors),
        discount=decimal_in(op.discount, f"{p}.option.discount", errors),
        valuation_cap=money_in(op.valuation_cap, f"{p}.option.valuation_cap", errors, required=False),
        window_start=_date(op, "exercise_window_start", f"{p}.option.exercise_window_start", errors, required=False)
        if op.HasField("exercise_window_start")
        else None,
        window_end=_date(op, "exercise_window_end", f"{p}.option.exercise_window_end", errors, required=False)
        if op.HasField("exercise_window_end")
        else None,
        triggers=tuple(
            t
            for i, v in enumerate(op.triggers)
            if (t := enum_in(TRIGGER, v, f"{p}.option.triggers[{i}]", errors, None))
        ),
        qualifying_round_size=money_in(
            op.qualifying_round_size, f"{p}.option.qualifying_round_size", errors, required=False
        ),
        valuation_threshold=money_in(op.valuation_threshold, f"{p}.option.valuation_threshold", errors, required=False),
    )
    risk = RiskSharing(
        pool=_party(ri.risk_pool, f"{p}.risk_sharing.risk_pool", errors),
        base_rate=decimal_in(ri.base_rate, f"{p}.risk_sharing.base_rate", errors),
        first_loan=ri.first_loan,
        first_loan_rate=decimal_in(ri.first_loan_rate, f"{p}.risk_sharing.first_loan_rate", errors),
        unsecured_share=decimal_in(ri.unsecured_share, f"{p}.risk_sharing.unsecured_share", errors),
        unsecured_threshold=decimal_in(ri.unsecured_threshold, f"{p}.risk_sharing.unsecured_threshold", errors),
        unsecured_rate=decimal_in(ri.unsecured_rate, f"{p}.risk_sharing.unsecured_rate", errors),
        cap=money_in(ri.cap, f"{p}.risk_sharing.cap", errors, required=False),
        insurer=_party(ri.insurer, f"{p}.risk_sharing.insurer", errors, required=False),
        insurer_rate=decimal_in(ri.insurer_rate, f"{p}.risk_sharing.insurer_rate", errors),
        bands=bands_in(ri.bands, f"{p}.risk_sharing.bands", errors),
        auto_approval_limit=money_in(
            ri.auto_approval_limit, f"{p}.risk_sharing.auto_approval_limit", errors, required=False
        )
        if ri.HasField("auto_approval_limit")
        else None,
        reimbursement=enum_in(
            REIMBURSEMENT, ri.reimbursement, f"{p}.risk_sharing.reimbursement", errors, Reimbursement.BORROWER
        )
        or Reimbursement.BORROWER,
    )
    split = Split(
        bank_bps=sp.bank_bps,
        arm_bps=sp.investment_arm_bps,
        pool_bps=sp.risk_pool_bps,
        advisory_fee=money_in(sp.advisory_fee, f"{p}.split.advisory_fee", errors, required=False),
    )
    return DealTerms(
        branch=_party(message.branch, f"{p}.branch", errors),
        borrower=borrower,
        loan=loan,
        option=option,
        risk=risk,
        split=split,
        subsidy=subsidy,
        subsidy_fund=_party(
            su.subsidy_fund, f"{p}.subsidy.subsidy_fund", errors, required=kind is not SubsidyKind.NONE
        ),
        agreements=DealAgreements(
            risk_sharing=agreement_id_in(message.agreements.risk_sharing, f"{p}.agreements.risk_sharing", errors),
            linkage=agreement_id_in(message.agreements.linkage, f"{p}.agreements.linkage", errors),
            subsidy=agreement_id_in(message.agreements.subsidy, f"{p}.agreements.subsidy", errors),
        ),
    )


CALENDAR = {
    CalendarKind.CN_MAINLAND: pb.HOLIDAY_CALENDAR_CN_MAINLAND,
    CalendarKind.WEEKENDS_ONLY: pb.HOLIDAY_CALENDAR_WEEKENDS_ONLY,
}

#: Extra days a deal's calendar may name, per list: a contract's exceptions, not a calendar of its own.
MAX_EXTRA_DAYS = 400


def calendar_in(message: pb.BusinessCalendar, path: str, errors: ViolationCollector) -> BusinessCalendar:
    """A deal's calendar; the extra days must be distinct, each in one list only, and few."""
    kind = enum_in(CALENDAR, message.base, f"{path}.base", errors, CalendarKind.CN_MAINLAND) or CalendarKind.CN_MAINLAND
    lists: dict[str, list[dt.date]] = {}
    for field in ("extra_holidays", "extra_working_days"):
        entries = getattr(message, field)
        if len(entries) > MAX_EXTRA_DAYS:
            errors.add(f"{path}.{field}", f"has {len(entries)} dates; at most {MAX_EXTRA_DAYS}")
        days: list[dt.date] = []
        for i, entry in enumerate(entries):
            day = date_in(entry, f"{path}.{field}[{i}]", errors)
            if day is None and not any(v.field == f"{path}.{field}[{i}]" for v in errors.violations):
                errors.add(f"{path}.{field}[{i}]", "is required (a date, not 0000-00-00)")
            elif day is not None and day in days:
                errors.add(f"{path}.{field}[{i}]", f"{day.isoformat()} is listed twice")
            elif day is not None:
                days.append(day)
        lists[field] = days
    for i, day in enumerate(lists["extra_working_days"]):
        if day in lists["extra_holidays"]:
            errors.add(f"{path}.extra_working_days[{i}]", f"{day.isoformat()} is also an extra holiday; pick one")
    return BusinessCalendar(kind, tuple(sorted(lists["extra_holidays"])), tuple(sorted(lists["extra_working_days"])))


def calendar_out(calendar: BusinessCalendar) -> pb.BusinessCalendar:
    return pb.BusinessCalendar(
        base=CALENDAR[calendar.kind],
        extra_holidays=[date_out(d) for d in calendar.extra_holidays],
        extra_working_days=[date_out(d) for d in calendar.extra_working_days],
    )


def agreement_id_in(name: str, path: str, errors: ViolationCollector) -> str:
    """`agreements/{id}` (or empty) → the id; a version cannot be chosen: the latest applies."""
    if not name:
        return ""
    try:
        agreement_id, version = parse_agreement_name(name, path)
    except InvalidArgument as exc:
        errors.violations.extend(exc.violations)
        return ""
    if version:
        errors.add(path, "name the agreement (agreements/{agreement}), not a version: the latest version applies")
        return ""
    return agreement_id


def bands_in(bands: Any, path: str, errors: ViolationCollector) -> tuple[Band, ...]:
    return tuple(
        Band(
            up_to=money_in(b.up_to, f"{path}[{i}].up_to", errors, required=False),
            rate=decimal_in(b.rate, f"{path}[{i}].rate", errors, required=True),
        )
        for i, b in enumerate(bands)
    )


def bands_out(bands: tuple[Band, ...]) -> list[pb.CompensationBand]:
    return [pb.CompensationBand(up_to=money_out(b.up_to) if b.up_to else None, rate=_text(b.rate)) for b in bands]


def agreements_out(a: DealAgreements) -> pb.DealAgreements:
    def name(agreement_id: str, version: int) -> str:
        if not agreement_id:
            return ""
        return f"agreements/{agreement_id}/versions/{version}" if version else f"agreements/{agreement_id}"

    return pb.DealAgreements(
        risk_sharing=name(a.risk_sharing, a.risk_sharing_version),
        linkage=name(a.linkage, a.linkage_version),
        subsidy=name(a.subsidy, a.subsidy_version),
    )


def attribution_out(principal: str, role: str, request_id: str, at: dt.datetime | None) -> pb.Attribution:
    return pb.Attribution(
        principal=principal, role=role, request_id=request_id, time=instant_out(at) if at is not None else None
    )


# ---------------------------------------------------------------- out


def text_out(value: Decimal) -> str:
    """A Decimal as the API writes it: plain, no exponent; empty for zero."""
    return _text(value)


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else ""


def _party_name(party_id: str) -> str:
    return f"parties/{party_id}" if party_id else ""


def _opt_date(value: dt.date | None) -> date_pb2.Date | None:
    return date_out(value) if value is not None else None


def terms_out(terms: DealTerms) -> pb.DealTerms:
    lo, su, op, ri, sp = terms.loan, terms.subsidy, terms.option, terms.risk, terms.split
    borrower = pb.Borrower(name=terms.borrower.name, uscc=terms.borrower.uscc)
    if terms.borrower.stage is not None:
        borrower.stage = STAGE[terms.borrower.stage]
    if terms.borrower.credit_score is not None:
        borrower.credit_score = terms.borrower.credit_score
    return pb.DealTerms(
        branch=_party_name(terms.branch),
        borrower=borrower,
        loan=pb.LoanTerms(
            principal=money_out(lo.principal),
            annual_rate=_text(lo.annual_rate),
            day_count=DAY_COUNT[lo.day_count],
            start_date=date_out(lo.start),
            maturity_date=date_out(lo.maturity),
            schedule=SCHEDULE[lo.schedule],
            frequency=FREQUENCY[lo.frequency],
            business_day=BUSINESS_DAY[lo.business_day],
            end_of_month=lo.end_of_month,
            calendar=calendar_out(lo.calendar),
        ),
        subsidy=pb.SubsidyTerms(
            type=SUBSIDY[su.kind],
            subsidy_fund=_party_name(terms.subsidy_fund),
            rate_points=_text(su.rate_points),
            share=_text(su.share),
            cap=money_out(su.cap) if su.cap is not None else None,
        ),
        option=pb.OptionTerms(
            holder=_party_name(op.holder),
            company=op.company,
            share_class=op.share_class,
            quantity_basis=QUANTITY[op.quantity_basis] if op.quantity_basis else pb.OPTION_QUANTITY_BASIS_UNSPECIFIED,
            shares=op.shares,
            stake=_text(op.stake),
            coverage=_text(op.coverage),
            fully_diluted_shares=op.fully_diluted_shares,
            strike_basis=STRIKE[op.strike_basis] if op.strike_basis else pb.STRIKE_BASIS_UNSPECIFIED,
            strike_price=_text(op.strike_price),
            discount=_text(op.discount),
            valuation_cap=money_out(op.valuation_cap) if op.valuation_cap else None,
            exercise_window_start=_opt_date(op.window_start),
            exercise_window_end=_opt_date(op.window_end),
            triggers=[TRIGGER[t] for t in op.triggers],
            qualifying_round_size=money_out(op.qualifying_round_size) if op.qualifying_round_size else None,
            valuation_threshold=money_out(op.valuation_threshold) if op.valuation_threshold else None,
        ),
        risk_sharing=pb.RiskSharingTerms(
            risk_pool=_party_name(ri.pool),
            base_rate=_text(ri.base_rate),
            first_loan=ri.first_loan,
            first_loan_rate=_text(ri.first_loan_rate),
            unsecured_share=_text(ri.unsecured_share),
            unsecured_threshold=_text(ri.unsecured_threshold),
            unsecured_rate=_text(ri.unsecured_rate),
            cap=money_out(ri.cap) if ri.cap else None,
            insurer=_party_name(ri.insurer),
            insurer_rate=_text(ri.insurer_rate),
            bands=bands_out(ri.bands),
            auto_approval_limit=money_out(ri.auto_approval_limit) if ri.auto_approval_limit is not None else None,
            reimbursement=REIMBURSEMENT[ri.reimbursement],
        ),
        split=pb.ProceedsSplit(
            bank_bps=sp.bank_bps,
            investment_arm_bps=sp.arm_bps,
            risk_pool_bps=sp.pool_bps,
            advisory_fee=money_out(sp.advisory_fee) if sp.advisory_fee else None,
        ),
        agreements=agreements_out(terms.agreements),
    )


# Event details that are not money; every other whole-number detail is an amount in fen.
_COUNT_DETAILS = frozenset({"option_quantity"})


def _detail_out(key: str, value: str) -> str:
    """The desk records amounts in fen; the API shows them in CNY like every other amount ("37458.33")."""
    if key in _COUNT_DETAILS or not value.lstrip("-").isdigit():
        return value
    return format_minor(int(value), 2)


def event_out(event: DealEvent) -> pb.DealEvent:
    return pb.DealEvent(
        kind=event.kind,
        value_date=date_out(event.value_date),
        request_id=event.request_id,
        transaction=event.transaction,
        create_time=instant_out(event.create_time),
        details={k: _detail_out(k, v) for k, v in event.details.items()},
        recorded_by=attribution_out(event.principal, event.role, event.request_id, event.create_time)
        if event.principal
        else None,
    )


def deal_out(deal: Deal) -> pb.Deal:
    return pb.Deal(
        name=deal.name,
        status=STATUS[deal.status],
        terms=terms_out(deal.terms),
        option_quantity=deal.option_quantity,
        option_commodity=deal.option_commodity,
        principal_outstanding=money_out(deal.principal_outstanding),
        interest_receivable=money_out(deal.interest_receivable),
        subsidy_receivable=money_out(deal.subsidy_receivable),
        accrued_to=_opt_date(deal.accrued_to),
        accrued_through=_opt_date(deal.accrued_to - dt.timedelta(days=1)) if deal.accrued_to else None,
        non_accrual_since=_opt_date(deal.non_accrual_since),
        off_balance_interest=money_out(deal.off_balance_interest),
        create_time=instant_out(deal.create_time),
        events=[event_out(e) for e in deal.events],
        booked_by=attribution_out(
            deal.booked_by, deal.booked_role, deal.events[0].request_id if deal.events else "", deal.create_time
        )
        if deal.booked_by
        else None,
        # The assessment the booking applied (docs/assessment.md), recorded in the stored terms.
        assessment=deal.terms.agreements.assessment,
        assessment_tier=STAGE[Stage(deal.terms.agreements.assessment_tier)]
        if deal.terms.agreements.assessment_tier
        else pb.BORROWER_STAGE_UNSPECIFIED,
        assessment_score=deal.terms.agreements.assessment_score,
    )


CLAIM_STATUS = {
    ClaimStatus.AUTO_APPROVED: pb.CLAIM_STATUS_AUTO_APPROVED,
    ClaimStatus.PENDING: pb.CLAIM_STATUS_PENDING,
    ClaimStatus.APPROVED: pb.CLAIM_STATUS_APPROVED,
    ClaimStatus.REJECTED: pb.CLAIM_STATUS_REJECTED,
}


def claim_out(claim: Claim) -> pb.CompensationClaim:
    filed_principal, filed_role, filed_request = claim.filed_by
    decided = claim.decided_by
    return pb.CompensationClaim(
        name=claim.name,
        deal=f"deals/{claim.deal_id}",
        risk_pool=_party_name(claim.pool),
        branch=_party_name(claim.branch),
        status=CLAIM_STATUS[claim.status],
        loss=money_out(claim.loss),
        amount=money_out(claim.amount),
        paid=money_out(claim.paid),
        owed=money_out(claim.owed),
        value_date=date_out(claim.value_date),
        agreement=claim.agreement,
        filed_by=attribution_out(filed_principal, filed_role, filed_request, claim.filed_at),
        decided_by=attribution_out(decided[0], decided[1], decided[2], claim.decided_at) if decided else None,
        reason=claim.reason,
        transaction=claim.transaction,
    )


def period_out(period: Period) -> pb.SchedulePeriod:
    return pb.SchedulePeriod(
        number=period.number,
        accrual_start=date_out(period.accrual_start),
        accrual_end=date_out(period.accrual_end),
        payment_date=date_out(period.payment_date),
        days=period.days,
        opening_principal=money_out(period.opening_principal),
        principal=money_out(period.principal),
        interest=money_out(period.interest),
        subsidy=money_out(period.subsidy),
        borrower_interest=money_out(period.borrower_interest),
        borrower_payment=money_out(period.borrower_payment),
        provisional=period.provisional,
    )
