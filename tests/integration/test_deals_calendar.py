"""Dates in the deal desk over real gRPC, on SQLite and PostgreSQL (issue 16): the mainland China calendar
moves payment dates, accrual "through" a date closes a month, and a year the calendar does not know is
refused rather than guessed.

Hand figures: 10,000,000.00 at 4.35 % ACT/360 without subsidy is 10,000,000 × 0.0435 / 360 =
1,208.3333… a day.
"""

from __future__ import annotations

from decimal import Decimal

import grpc

from deals.calendar import covered_years
from ledger.store import Ledger
from tests.integration.authz_world import reason_of
from tests.integration.deals_world import (
    ARM,
    BANK,
    PARTIES,
    POOL,
    Deals,
    Stub,
    acct,
    cny,
    create_parties,
    date,
    deal_terms,
    refused,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb


def _book(stub: Stub, deals: Deals, deal_id: str, start: str, maturity: str, **loan: object) -> dpb.Deal:
    terms = deal_terms(start=start, maturity=maturity, subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE))
    terms.risk_sharing.insurer = ""
    terms.risk_sharing.insurer_rate = ""
    for key, value in loan.items():
        if key == "calendar":
            terms.loan.calendar.CopyFrom(value)
        else:
            setattr(terms.loan, key, value)
    booked = deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id=f"b-{deal_id}", deal_id=deal_id, terms=terms))
    return booked.deal


def _parties(stub: Stub) -> None:
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})


def _income_as_of(stub: Stub, day: str) -> Decimal:
    answer = stub.GetBalance(pb.GetBalanceRequest(account=acct(BANK, "interest-income"), as_of_date=date(day)))
    return Decimal(answer.balance.balance.value)


def test_payment_dates_follow_the_published_2026_calendar(stub: Stub, deals: Deals) -> None:
    _parties(stub)
    # Monthly from 1 Aug 2026 to 1 Nov 2026, modified following (the default). Period ends 1 Sep
    # (Tuesday), 1 Oct (National Day: 1-7 Oct off, so Thursday 8 Oct), 1 Nov (Sunday: Monday 2 Nov).
    deal = _book(stub, deals, "natday", "2026-08-01", "2026-11-01")
    assert deal.terms.loan.calendar.base == dpb.HOLIDAY_CALENDAR_CN_MAINLAND  # the default, shown
    periods = deals.GetSchedule(dpb.GetScheduleRequest(name=deal.name)).periods
    assert [(p.payment_date.month, p.payment_date.day) for p in periods] == [(9, 1), (10, 8), (11, 2)]
    # 1 Sep → 8 Oct is 37 days: 10,000,000 × 4.35 % × 37 / 360 = 44,708.333 → 44,708.33.
    assert (periods[1].days, yuan(periods[1].interest)) == (37, Decimal("44708.33"))
    # Spring Festival 2026 (15-23 Feb off; Saturday 28 Feb a working day): monthly from 16 Jan, following.
    spring = _book(
        stub, deals, "spring", "2026-01-16", "2026-03-16", business_day=dpb.BUSINESS_DAY_CONVENTION_FOLLOWING
    )
    periods = deals.GetSchedule(dpb.GetScheduleRequest(name=spring.name)).periods
    assert [(p.payment_date.month, p.payment_date.day) for p in periods] == [(2, 24), (3, 16)]
    # A contract's own holiday moves a payment too: 16 Mar 2026 (a Monday) named a holiday → Tuesday 17 Mar.
    own = _book(
        stub,
        deals,
        "own",
        "2026-01-16",
        "2026-03-16",
        business_day=dpb.BUSINESS_DAY_CONVENTION_FOLLOWING,
        calendar=dpb.BusinessCalendar(extra_holidays=[date("2026-03-16")]),
    )
    assert list(own.terms.loan.calendar.extra_holidays) == [date("2026-03-16")]
    periods = deals.GetSchedule(dpb.GetScheduleRequest(name=own.name)).periods
    assert [(p.payment_date.month, p.payment_date.day) for p in periods] == [(2, 24), (3, 17)]


def test_accrual_through_a_month_end_lands_in_that_month(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    _parties(stub)
    deal = _book(stub, deals, "monthend", "2025-08-20", "2026-08-20")
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=deal.name))
    # Through 31 Aug: 20-31 Aug is 12 days, 12 × 1,208.3333 = 14,500.00, posted on 31 Aug.
    accrued = deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="a-aug", name=deal.name, through_date=date("2025-08-31"))
    )
    assert yuan(accrued.accrued) == Decimal("14500.00")
    assert (accrued.deal.accrued_through, accrued.deal.accrued_to) == (date("2025-08-31"), date("2025-09-01"))
    assert _income_as_of(stub, "2025-08-30") == 0
    assert _income_as_of(stub, "2025-08-31") == Decimal("14500.00")
    again = deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="a-aug-2", name=deal.name, through_date=date("2025-08-31"))
    )
    assert yuan(again.accrued) == 0 and again.transaction == ""
    # A repayment dated on the accrued day would change interest already accrued: refused, saying when.
    late = dpb.RecordRepaymentRequest(
        request_id="r0", name=deal.name, amount=cny("100.00"), value_date=date("2025-08-31")
    )
    error = refused(deals.RecordRepayment, late, grpc.StatusCode.FAILED_PRECONDITION, ledger)
    assert reason_of(error) == "LATE_EVENT"
    assert "accrued through 2025-08-31" in (error.details() or "")
    assert "on or after 2025-09-01" in (error.details() or "")
    # Through 30 Sep with the deprecated exclusive form (to 1 Oct): 30 days × 1,208.3333 = 36,250.00, on 30 Sep.
    september = deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="a-sep", name=deal.name, to_date=date("2025-10-01"))
    )
    assert yuan(september.accrued) == Decimal("36250.00")
    assert september.deal.accrued_through == date("2025-09-30")
    assert _income_as_of(stub, "2025-09-30") == Decimal("50750.00")  # 14,500.00 + 36,250.00
    both = dpb.AccrueInterestRequest(
        request_id="a-both", name=deal.name, to_date=date("2025-11-01"), through_date=date("2025-10-31")
    )
    assert refused(deals.AccrueInterest, both, grpc.StatusCode.INVALID_ARGUMENT, ledger)


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    _parties(stub)
    last = covered_years()[1]
    year = last + 1
    # Monthly from 15 Nov of the calendar's last year: 15 Dec is known, 15 Jan and 15 Feb of the next are not.
    deal = _book(stub, deals, "unknown", f"{last}-11-15", f"{year}-02-15")
    periods = deals.GetSchedule(dpb.GetScheduleRequest(name=deal.name)).periods
    assert [p.provisional for p in periods] == [False, True, True]
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="d", name=deal.name))
    # Up to the last known day the interest is arithmetic: through 31 Dec.
    deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="a-dec", name=deal.name, through_date=date(f"{last}-12-31"))
    )
    past = dpb.AccrueInterestRequest(request_id="a-jan", name=deal.name, through_date=date(f"{year}-01-20"))
    error = refused(deals.AccrueInterest, past, grpc.StatusCode.FAILED_PRECONDITION, ledger)
    assert reason_of(error) == "CALENDAR_NOT_COVERED"
    assert f"covers 2004 to {last}" in (error.details() or "")
    assert "chinese-calendar" in (error.details() or "")
    # A deal whose contract says weekends only is never provisional.
    weekends = _book(
        stub,
        deals,
        "weekends",
        f"{last}-11-15",
        f"{year}-02-15",
        calendar=dpb.BusinessCalendar(base=dpb.HOLIDAY_CALENDAR_WEEKENDS_ONLY),
    )
    assert not any(p.provisional for p in deals.GetSchedule(dpb.GetScheduleRequest(name=weekends.name)).periods)


def test_a_calendar_with_a_day_twice_is_refused_with_the_field(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    _parties(stub)
    terms = deal_terms(start="2026-01-16", maturity="2026-03-16")
    terms.loan.calendar.extra_holidays.extend([date("2026-03-16"), date("2026-03-16")])
    terms.loan.calendar.extra_working_days.append(date("2026-03-16"))
    request = dpb.BookLinkedDealRequest(request_id="b-bad", deal_id="bad", terms=terms)
    error = refused(deals.BookLinkedDeal, request, grpc.StatusCode.INVALID_ARGUMENT, ledger)
    assert "terms.loan.calendar.extra_holidays[1]" in (error.details() or "")
