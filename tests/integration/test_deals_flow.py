"""The linked deal from booking to write-off over real gRPC, on SQLite and PostgreSQL: the worked example,
every figure computed by hand as tests/integration/deals_world.py describes.
"""

from __future__ import annotations

from decimal import Decimal

import grpc

from ledger.store import Ledger
from tests.chains import verify_book
from tests.integration.deals_world import (
    ARM,
    BANK,
    FUND,
    INSURER,
    PARTIES,
    POOL,
    USCC_A,
    Books,
    Deals,
    Stub,
    acct,
    cny,
    create_parties,
    date,
    deal_accounts,
    deal_terms,
    retried,
    reused,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import insurance_pb2 as ipb
from toudai.v1 import insurance_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

# ---------------------------------------------------------------------- the worked example


def test_worked_example_from_booking_to_write_off(
    stub: Stub, deals: Deals, ledger: Ledger, channel: grpc.Channel
) -> None:
    create_parties(stub)
    books = Books(stub, ledger, list(PARTIES))
    books.check()  # no accounts anywhere yet
    name = "deals/hz-2025-001"
    d = "hz-2025-001"
    loans, interest, subsidy_rec = (
        acct(BANK, f"loans.{d}"),
        acct(BANK, f"interest-receivable.{d}"),
        acct(BANK, f"subsidy-receivable.{d}"),
    )
    clearing, income, loss = acct(BANK, "clearing"), acct(BANK, "interest-income"), acct(BANK, "loan-loss")
    comp_rec, ins_rec = acct(BANK, f"compensation-receivable.{d}"), acct(BANK, f"insurance-receivable.{d}")
    comp_held, ins_held = acct(BANK, f"compensation-received.{d}"), acct(BANK, f"insurance-compensation.{d}")
    options, granted = acct(ARM, f"options.{d}"), acct(ARM, f"options-granted.{d}")
    pool_cash, pool_capital = acct(POOL, "cash"), acct(POOL, "capital")
    pool_expense, pool_claims = acct(POOL, "compensation-expense"), acct(POOL, f"claims-payable.{d}")
    fund_cash, fund_expense, fund_payable = (
        acct(FUND, "cash"),
        acct(FUND, "subsidy-expense"),
        acct(FUND, f"subsidy-payable.{d}"),
    )
    ins_expense, ins_payable = acct(INSURER, "claims-expense"), acct(INSURER, f"claims-payable.{d}")

    # 1. Booking: 10,000,000.00 × 10% ÷ 10.00 = 100,000 option units, commodity OPT-HZ-2025-001.
    # The worked example was computed by hand moving payment dates off weekends only (it predates the
    # holiday calendar: 5 May 2025, its second payment date, is a Labour Day holiday), so it says so in
    # its terms; tests/integration/test_deals_calendar.py books on the mainland China calendar.
    terms = deal_terms()
    terms.loan.calendar.base = dpb.HOLIDAY_CALENDAR_WEEKENDS_ONLY
    book = dpb.BookLinkedDealRequest(request_id="book-001", deal_id=d, terms=terms)
    deal = retried(deals.BookLinkedDeal, book).deal
    assert (deal.name, deal.status, deal.option_quantity) == (name, dpb.DEAL_STATUS_BOOKED, 100_000)
    assert deal.option_commodity == "OPT-HZ-2025-001"
    assert deal.terms.borrower.uscc == USCC_A and deal.terms.loan.annual_rate == "0.0435"
    books.open(*deal_accounts(d))
    books[options] = "100000"
    books[granted] = "100000"
    books.check()
    reused(
        deals.BookLinkedDeal,
        dpb.BookLinkedDealRequest(request_id="book-001", deal_id="hz-2025-999", terms=deal_terms()),
        ledger,
    )
    # The option right sits in the holder's book as units, with no money value.
    option_balance = stub.GetBalance(pb.GetBalanceRequest(account=options)).balance
    assert (option_balance.balance.commodity, option_balance.balance.value) == ("OPT-HZ-2025-001", "100000")

    # The schedule: 12 monthly periods; period 1 as worked out above; period 2 runs 3 Apr → 5 May (32 days)
    # on 10,000,000.00: 435,000 × 32 / 360 = 38,666.67, subsidy 365,000 × 32 / 360 = 32,444.44.
    schedule = deals.GetSchedule(dpb.GetScheduleRequest(name=name))
    assert len(schedule.periods) == 12
    p1, p2, last = schedule.periods[0], schedule.periods[1], schedule.periods[-1]
    assert (p1.days, yuan(p1.interest), yuan(p1.subsidy), yuan(p1.borrower_interest)) == (
        31,
        Decimal("37458.33"),
        Decimal("31430.56"),
        Decimal("6027.77"),
    )
    assert p2.payment_date == date("2025-05-05") and p2.days == 32
    assert (yuan(p2.interest), yuan(p2.subsidy), yuan(p2.borrower_interest)) == (
        Decimal("38666.67"),
        Decimal("32444.44"),
        Decimal("6222.23"),
    )
    assert last.payment_date == date("2026-03-03") and yuan(last.principal) == Decimal("10000000.00")
    assert yuan(last.borrower_payment) == yuan(last.principal) + yuan(last.borrower_interest)

    # 2. The pool is funded with 500,000.00 (less than this loan's 3,000,000.00 cap).
    funded = retried(
        deals.FundRiskPool,
        dpb.FundRiskPoolRequest(
            request_id="fund-1", risk_pool=f"parties/{POOL}", amount=cny("500000.00"), value_date=date("2025-03-03")
        ),
    )
    assert yuan(funded.claims_paid) == 0 and len(funded.transactions) == 1
    books[pool_cash] = "500000.00"
    books[pool_capital] = "500000.00"
    books.check()
    reused(
        deals.FundRiskPool,
        dpb.FundRiskPoolRequest(
            request_id="fund-1", risk_pool=f"parties/{POOL}", amount=cny("500000.01"), value_date=date("2025-03-03")
        ),
        ledger,
    )

    # The subsidy fund's budget arrives through the plain ledger (an account the deal desk never touches).
    stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id="fund-budget",
            party=f"parties/{FUND}",
            code="budget",
            display_name="Fiscal budget",
            type=pb.ACCOUNT_TYPE_EQUITY,
            commodity="CNY",
        )
    )
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id="budget-2025",
                    value_date=date("2025-03-03"),
                    description="2025 subsidy budget",
                    postings=[
                        pb.Posting(
                            account=fund_cash, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value="100000.00")
                        ),
                        pb.Posting(
                            account=acct(FUND, "budget"),
                            side=pb.SIDE_CREDIT,
                            amount=pb.Amount(commodity="CNY", value="100000.00"),
                        ),
                    ],
                )
            ]
        )
    )
    books.open(acct(FUND, "budget"))
    books[fund_cash] = "100000.00"
    books[acct(FUND, "budget")] = "100000.00"
    books.check()

    # 3. Disbursement on the start date (no value date given).
    disbursed = retried(deals.DisburseLoan, dpb.DisburseLoanRequest(request_id="disburse-001", name=name))
    assert disbursed.deal.status == dpb.DEAL_STATUS_DISBURSED and disbursed.transaction.startswith("transactions/")
    assert disbursed.deal.accrued_to == date("2025-03-03")
    books[loans] = "10000000.00"
    books[clearing] = "-10000000.00"
    books.check()
    reused(
        deals.DisburseLoan,
        dpb.DisburseLoanRequest(request_id="disburse-001", name=name, value_date=date("2025-03-04")),
        ledger,
    )

    # 4. Accrual to the first payment date: 37,458.33 of which the fund owes 31,430.56.
    accrued = retried(
        deals.AccrueInterest, dpb.AccrueInterestRequest(request_id="accrue-1", name=name, to_date=date("2025-04-03"))
    )
    assert (yuan(accrued.accrued), yuan(accrued.subsidy)) == (Decimal("37458.33"), Decimal("31430.56"))
    assert yuan(accrued.deal.interest_receivable) == Decimal("6027.77")
    books[interest] = "6027.77"
    books[subsidy_rec] = "31430.56"
    books[income] = "37458.33"
    books[fund_expense] = "31430.56"
    books[fund_payable] = "31430.56"
    books.check()
    reused(
        deals.AccrueInterest,
        dpb.AccrueInterestRequest(request_id="accrue-1", name=name, to_date=date("2025-04-04")),
        ledger,
    )
    # Accruing to the same date under another request_id posts nothing.
    again = deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id="accrue-1-again", name=name, to_date=date("2025-04-03"))
    )
    assert (yuan(again.accrued), yuan(again.subsidy), again.transaction) == (0, 0, "")
    books.check()

    # 5. The borrower pays the period's interest; the fund settles its subsidy alongside.
    repaid = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-1", name=name, amount=cny("6027.77"), value_date=date("2025-04-03")
        ),
    )
    assert [yuan(m) for m in (repaid.overdue_interest, repaid.interest, repaid.principal, repaid.subsidy)] == [
        0,
        Decimal("6027.77"),
        0,
        Decimal("31430.56"),
    ]
    assert repaid.deal.status == dpb.DEAL_STATUS_REPAYING
    books[interest] = "0"
    books[subsidy_rec] = "0"
    books[clearing] = "-9962541.67"  # -10,000,000.00 + 6,027.77 + 31,430.56
    books[fund_payable] = "0"
    books[fund_cash] = "68569.44"  # 100,000.00 - 31,430.56
    books.check()
    reused(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-1", name=name, amount=cny("6027.78"), value_date=date("2025-04-03")
        ),
        ledger,
    )

    # 6. Prepayment on 18 April: 15 days accrue first (18,125.00; fund 15,208.33; borrower 2,916.67); of the
    # 1,002,916.67 paid, 2,916.67 settles that interest and 1,000,000.00 reduces principal, no fee.
    prepaid = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-2", name=name, amount=cny("1002916.67"), value_date=date("2025-04-18")
        ),
    )
    assert [yuan(m) for m in (prepaid.overdue_interest, prepaid.interest, prepaid.principal, prepaid.subsidy)] == [
        0,
        Decimal("2916.67"),
        Decimal("1000000.00"),
        Decimal("15208.33"),
    ]
    books[loans] = "9000000.00"
    books[income] = "55583.33"  # 37,458.33 + 18,125.00
    books[fund_expense] = "46638.89"  # 31,430.56 + 15,208.33
    books[fund_cash] = "53361.11"  # 68,569.44 - 15,208.33
    books[clearing] = "-8944416.67"  # -9,962,541.67 + 1,002,916.67 + 15,208.33
    books.check()
    # The schedule is not recomputed after a prepayment.
    assert deals.GetSchedule(dpb.GetScheduleRequest(name=name)) == schedule

    # 7. Accrual to the second payment date, 5 May: 17 days on 9,000,000.00.
    accrued = retried(
        deals.AccrueInterest, dpb.AccrueInterestRequest(request_id="accrue-2", name=name, to_date=date("2025-05-05"))
    )
    assert (yuan(accrued.accrued), yuan(accrued.subsidy)) == (Decimal("18487.50"), Decimal("15512.50"))
    books[interest] = "2975.00"
    books[subsidy_rec] = "15512.50"
    books[income] = "74070.83"  # 55,583.33 + 18,487.50
    books[fund_expense] = "62151.39"  # 46,638.89 + 15,512.50
    books[fund_payable] = "15512.50"
    books.check()

    # 8. Nothing paid on 5 May; on 20 May the borrower pays 3,000.00. Accrual first: 15 days, 16,312.50
    # (fund 13,687.50, borrower 2,625.00). Interest due 2,975.00 (overdue, period 2) + 2,625.00 (current):
    # 2,975.00 overdue first, then 25.00 of current interest, nothing to principal. The fund settles
    # 15,512.50 + 13,687.50 = 29,200.00.
    partial = retried(
        deals.RecordRepayment,
        dpb.RecordRepaymentRequest(
            request_id="repay-3", name=name, amount=cny("3000.00"), value_date=date("2025-05-20")
        ),
    )
    assert [yuan(m) for m in (partial.overdue_interest, partial.interest, partial.principal, partial.subsidy)] == [
        Decimal("2975.00"),
        Decimal("25.00"),
        0,
        Decimal("29200.00"),
    ]
    books[interest] = "2600.00"  # 2,975.00 + 2,625.00 - 3,000.00
    books[subsidy_rec] = "0"
    books[income] = "90383.33"  # 74,070.83 + 16,312.50
    books[fund_expense] = "75838.89"  # 62,151.39 + 13,687.50
    books[fund_payable] = "0"
    books[fund_cash] = "24161.11"  # 53,361.11 - 29,200.00
    books[clearing] = "-8912216.67"  # -8,944,416.67 + 3,000.00 + 29,200.00
    books.check()

    # 9. Default the same day. Loss = 9,000,000.00 + 2,600.00 = 9,002,600.00. The unsecured tier applies
    # (80% unsecured ≥ 70%): 70% = 6,301,820.00, capped at 3,000,000.00. The pool holds 500,000.00: it pays
    # that and owes 2,500,000.00 as a claim. The insurer owes 20% = 1,800,520.00. The cover goes to its own
    # accounts (compensation-received 3,000,000.00, insurance-compensation 1,800,520.00): the borrower still
    # owes the whole 9,000,000.00 principal and 2,600.00 interest. The subsidy receivable is 0 (the fund
    # settled it with the payment the same day), so nothing is reversed.
    defaulted = retried(
        deals.RecordDefault,
        dpb.RecordDefaultRequest(
            request_id="default-1", name=name, value_date=date("2025-05-20"), reason="missed payments"
        ),
    )
    assert [
        yuan(m)
        for m in (defaulted.loss, defaulted.compensation_paid, defaulted.compensation_claim, defaulted.insurer_share)
    ] == [
        Decimal("9002600.00"),
        Decimal("500000.00"),
        Decimal("2500000.00"),
        Decimal("1800520.00"),
    ]
    assert defaulted.deal.status == dpb.DEAL_STATUS_DEFAULTED and yuan(defaulted.subsidy_reversed) == 0
    assert yuan(defaulted.deal.principal_outstanding) == Decimal("9000000.00")
    books[clearing] = "-8412216.67"  # + 500,000.00 from the pool
    books[comp_rec] = "2500000.00"
    books[comp_held] = "3000000.00"  # 500,000.00 paid + 2,500,000.00 owed
    books[pool_cash] = "0"
    books[pool_expense] = "3000000.00"
    books[pool_claims] = "2500000.00"
    books.check()  # the insurer's share is claimed, not posted: nothing in its book yet
    # 9b. The insurer's claims staff approve its claim of 20 % × 9,002,600.00 = 1,800,520.00, posted on the
    # default's date in both books.
    insurance = insurance_pb2_grpc.InsuranceServiceStub(channel)
    pending = insurance.GetInsuranceClaim(ipb.GetInsuranceClaimRequest(name="insuranceClaims/hz-2025-001")).claim
    assert (pending.status, yuan(pending.amount), pending.rate) == (
        ipb.INSURANCE_CLAIM_STATUS_PENDING,
        Decimal("1800520.00"),
        "0.2",
    )
    approved = insurance.ApproveInsuranceClaim(
        ipb.ApproveInsuranceClaimRequest(request_id="insure-1", name=pending.name),
        metadata=(("x-toudai-principal", "insurer-claims-liu"),),
    ).claim
    assert (approved.status, approved.decided_by.principal) == (
        ipb.INSURANCE_CLAIM_STATUS_APPROVED,
        "insurer-claims-liu",
    )
    books[ins_rec] = "1800520.00"
    books[ins_held] = "1800520.00"
    books[ins_expense] = "1800520.00"
    books[ins_payable] = "1800520.00"
    books.check()
    reused(
        deals.RecordDefault,
        dpb.RecordDefaultRequest(request_id="default-1", name=name, value_date=date("2025-05-20"), reason="fraud"),
        ledger,
    )

    # 10. The pool is refilled with 3,000,000.00 and pays the open claim of 2,500,000.00 at once.
    refill = dpb.FundRiskPoolRequest(
        request_id="fund-2", risk_pool=f"parties/{POOL}", amount=cny("3000000.00"), value_date=date("2025-06-03")
    )
    refilled = retried(deals.FundRiskPool, refill)
    assert yuan(refilled.claims_paid) == Decimal("2500000.00") and len(refilled.transactions) == 2
    books[pool_cash] = "500000.00"  # 0 + 3,000,000.00 - 2,500,000.00
    books[pool_capital] = "3500000.00"
    books[pool_claims] = "0"
    books[comp_rec] = "0"
    books[clearing] = "-5912216.67"  # -8,412,216.67 + 2,500,000.00
    books.check()
    # A second funding finds no claim left.
    more = deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-3", risk_pool=f"parties/{POOL}", amount=cny("1.00"), value_date=date("2025-06-04")
        )
    )
    assert yuan(more.claims_paid) == 0
    books[pool_cash] = "500001.00"
    books[pool_capital] = "3500001.00"
    books.check()

    # 11. Write-off: the borrower's 9,000,000.00 principal + 2,600.00 interest = 9,002,600.00 leave the
    # books; the cover held offsets them (3,000,000.00 from the pool, 1,800,520.00 from the insurer) and the
    # bank's loan loss is 9,002,600.00 - 3,000,000.00 - 1,800,520.00 = 4,202,080.00.
    written = retried(
        deals.WriteOff, dpb.WriteOffRequest(request_id="write-off-1", name=name, value_date=date("2025-06-30"))
    )
    assert [
        yuan(m)
        for m in (written.written_off, written.compensation_applied, written.insurance_applied, written.loan_loss)
    ] == [Decimal("9002600.00"), Decimal("3000000.00"), Decimal("1800520.00"), Decimal("4202080.00")]
    assert written.deal.status == dpb.DEAL_STATUS_WRITTEN_OFF
    books[loans] = "0"
    books[interest] = "0"
    books[comp_held] = "0"
    books[ins_held] = "0"
    books[loss] = "4202080.00"
    books.check()
    reused(
        deals.WriteOff, dpb.WriteOffRequest(request_id="write-off-1", name=name, value_date=date("2025-07-01")), ledger
    )
    # What the bank got back: 10,000,000.00 out, 4,087,783.33 in (interest, subsidy, prepayment, pool).
    assert Decimal("10000000.00") - Decimal("-5912216.67").copy_abs() == Decimal("4087783.33")

    # The deal's history, and listing by branch / status / borrower / holder.
    final = deals.GetDeal(dpb.GetDealRequest(name=name)).deal
    assert [e.kind for e in final.events] == [
        "booked",
        "disbursed",
        "accrued",
        "accrued",
        "repaid",
        "repaid",
        "accrued",
        "repaid",
        "defaulted",
        "insurance_approved",
        "claim_paid",
        "written_off",
    ]
    assert final.events[-4].details["note"] == "missed payments"
    for request in (
        dpb.ListDealsRequest(branch=f"parties/{BANK}"),
        dpb.ListDealsRequest(status=dpb.DEAL_STATUS_WRITTEN_OFF),
        dpb.ListDealsRequest(borrower_uscc=USCC_A),
        dpb.ListDealsRequest(holder=f"parties/{ARM}"),
    ):
        assert [x.name for x in deals.ListDeals(request).deals] == [name]
    assert list(deals.ListDeals(dpb.ListDealsRequest(status=dpb.DEAL_STATUS_CLOSED)).deals) == []
    for party in PARTIES:
        report = verify_book(ledger, party)
        assert report.ok, report.faults
