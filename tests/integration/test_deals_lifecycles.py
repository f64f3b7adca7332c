"""Linked deals repaid and closed, a first loan's tier paid by a funded pool, and concurrent repayments on
one deal, over real gRPC on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import grpc

from ledger.store import Ledger
from tests.chains import verify_book
from tests.integration.deals_world import (
    ARM,
    BANK,
    PARTIES,
    POOL,
    USCC_B,
    Books,
    Deals,
    Stub,
    acct,
    cny,
    create_parties,
    date,
    deal_accounts,
    deal_terms,
    refused,
    retried,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import deals_pb2_grpc

# ---------------------------------------------------------------------- repaid and closed


def test_equal_principal_deal_repaid_on_schedule_and_closed(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    """300,000.00 at 5% ACT/365F, equal principal over three months, no subsidy and no insurer.

    2 Jun → 2 Jul (30 days): 300,000.00 × 5% × 30 / 365 = 1,232.88; 2 Jul → 4 Aug (2 Aug is a Saturday,
    33 days) on 200,000.00: 904.11; 4 Aug → 2 Sep (29 days) on 100,000.00: 397.26. Each payment is
    100,000.00 of principal plus that interest.
    """
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-002", "deals/hz-2025-002"
    terms = deal_terms(
        uscc=USCC_B,
        principal="300000.00",
        rate="0.05",
        start="2025-06-02",
        maturity="2025-09-02",
        day_count=dpb.DAY_COUNT_CONVENTION_ACT_365F,
        schedule=dpb.SCHEDULE_TYPE_EQUAL_PRINCIPAL,
        subsidy=dpb.SubsidyTerms(),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
        option=dpb.OptionTerms(
            holder=f"parties/{ARM}",
            company="Jiaxing Robotics",
            share_class="A",
            quantity_basis=dpb.OPTION_QUANTITY_BASIS_SHARES,
            shares=5_000,
            strike_basis=dpb.STRIKE_BASIS_FIXED_PRICE,
            strike_price="8.00",
            exercise_window_start=date("2025-06-02"),
            exercise_window_end=date("2032-06-02"),
            triggers=[dpb.EXERCISE_TRIGGER_MERGER],
        ),
    )
    deal = deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-002", deal_id=d, terms=terms)).deal
    assert deal.option_quantity == 5_000
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "5000"
    books[acct(ARM, f"options-granted.{d}")] = "5000"
    books.check()
    schedule = deals.GetSchedule(dpb.GetScheduleRequest(name=name))
    assert [yuan(p.borrower_payment) for p in schedule.periods] == [
        Decimal("101232.88"),
        Decimal("100904.11"),
        Decimal("100397.26"),
    ]
    assert yuan(schedule.total_interest) == Decimal("2534.25") and yuan(schedule.total_subsidy) == 0

    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-002", name=name, value_date=date("2025-06-02")))
    loans, clearing, income = acct(BANK, f"loans.{d}"), acct(BANK, "clearing"), acct(BANK, "interest-income")
    books[loans] = "300000.00"
    books[clearing] = "-300000.00"
    books.check()

    # Closing with balances left is refused, naming what is left.
    error = refused(
        deals.CloseDeal,
        dpb.CloseDealRequest(request_id="close-early", name=name),
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert "300000.00 CNY on loans" in (error.details() or "")

    payments = [
        ("2025-07-02", "101232.88", "1232.88"),
        ("2025-08-04", "100904.11", "904.11"),
        ("2025-09-02", "100397.26", "397.26"),
    ]
    outstanding = [Decimal("200000.00"), Decimal("100000.00"), Decimal(0)]
    income_total = [Decimal("1232.88"), Decimal("2136.99"), Decimal("2534.25")]
    cash = [Decimal("-198767.12"), Decimal("-97863.01"), Decimal("2534.25")]
    for n, (day, amount, interest) in enumerate(payments):
        paid = retried(
            deals.RecordRepayment,
            dpb.RecordRepaymentRequest(request_id=f"pay-002-{n}", name=name, amount=cny(amount), value_date=date(day)),
        )
        assert (yuan(paid.interest), yuan(paid.principal), yuan(paid.overdue_interest)) == (
            Decimal(interest),
            Decimal("100000.00"),
            0,
        )
        books[loans] = str(outstanding[n])
        books[income] = str(income_total[n])
        books[clearing] = str(cash[n])
        books.check()

    closed = retried(deals.CloseDeal, dpb.CloseDealRequest(request_id="close-002", name=name))
    assert closed.deal.status == dpb.DEAL_STATUS_CLOSED
    books.check()  # closing posts nothing
    # The option right outlives the loan: the units stay in the holder's book.
    assert books.expected[acct(ARM, f"options.{d}")] == 5000


# ---------------------------------------------------------------------- first-loan tier, pool sufficient


def test_first_loan_tier_paid_in_full_by_a_funded_pool(stub: Stub, deals: Deals, ledger: Ledger) -> None:
    """200,000.00 at 3.6% ACT/360 defaults after 10 days: interest 200,000.00 × 3.6% × 10 / 360 = 200.00;
    loss 200,200.00; first loan → 90% = 180,180.00 (below the 3,000,000.00 cap), all paid from the pool."""
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-003", "deals/hz-2025-003"
    terms = deal_terms(
        principal="200000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(
            risk_pool=f"parties/{POOL}",
            base_rate="0.50",
            first_loan=True,
            first_loan_rate="0.90",
            unsecured_share="0.80",
            unsecured_threshold="0.70",
            unsecured_rate="0.70",
            cap=cny("3000000.00"),
        ),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-003", deal_id=d, terms=terms))
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    # 200,000.00 × 10% ÷ 10.00 = 2,000 units.
    books[acct(ARM, f"options.{d}")] = "2000"
    books[acct(ARM, f"options-granted.{d}")] = "2000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-003", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-07-01")
        )
    )
    books[acct(POOL, "cash")] = "1000000.00"
    books[acct(POOL, "capital")] = "1000000.00"
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-003", name=name))
    books[acct(BANK, f"loans.{d}")] = "200000.00"
    books[acct(BANK, "clearing")] = "-200000.00"
    books.check()
    # Write-off of a performing loan is refused.
    error = refused(
        deals.WriteOff,
        dpb.WriteOffRequest(request_id="wo-early", name=name, value_date=date("2025-07-05")),
        grpc.StatusCode.FAILED_PRECONDITION,
        ledger,
    )
    assert "is disbursed" in (error.details() or "")

    result = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default-003", name=name, value_date=date("2025-07-11"))
    )
    assert [
        yuan(m) for m in (result.loss, result.compensation_paid, result.compensation_claim, result.insurer_share)
    ] == [
        Decimal("200200.00"),
        Decimal("180180.00"),
        0,
        0,
    ]
    books[acct(BANK, f"interest-receivable.{d}")] = "200.00"
    books[acct(BANK, "interest-income")] = "200.00"
    # The borrower still owes 200,000.00 + 200.00; the pool's 180,180.00 is held against the loss.
    books[acct(BANK, f"compensation-received.{d}")] = "180180.00"
    books[acct(BANK, "clearing")] = "-19820.00"  # -200,000.00 + 180,180.00
    books[acct(POOL, "cash")] = "819820.00"
    books[acct(POOL, "compensation-expense")] = "180180.00"
    books.check()
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo-003", name=name, value_date=date("2025-07-31")))
    # 200,000.00 + 200.00 = 200,200.00 written off; less the pool's 180,180.00, the bank's loss is 20,020.00.
    assert (yuan(written.written_off), yuan(written.compensation_applied), yuan(written.loan_loss)) == (
        Decimal("200200.00"),
        Decimal("180180.00"),
        Decimal("20020.00"),
    )
    books[acct(BANK, f"loans.{d}")] = "0"
    books[acct(BANK, f"interest-receivable.{d}")] = "0"
    books[acct(BANK, f"compensation-received.{d}")] = "0"
    books[acct(BANK, "loan-loss")] = "20020.00"
    books.check()


# ---------------------------------------------------------------------- concurrency


def test_concurrent_repayments_on_one_deal_serialize(
    stub: Stub, deals: Deals, ledger: Ledger, server_address: str
) -> None:
    """1,000,000.00 at 3.6% ACT/360, 10 days to 11 July: interest 1,000,000.00 × 3.6% × 10 / 360 = 1,000.00.
    Eight threads pay 500.00 twice each on 11 July: 8,000.00 = 1,000.00 interest + 7,000.00 principal."""
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-004", "deals/hz-2025-004"
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-004", deal_id=d, terms=terms))
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-004", name=name))
    errors: list[BaseException] = []
    results: list[dpb.RecordRepaymentResponse] = []
    lock = threading.Lock()

    def pay(thread: int) -> None:
        with grpc.insecure_channel(server_address) as channel:
            client = deals_pb2_grpc.DealServiceStub(channel)
            for n in range(2):
                try:
                    response = client.RecordRepayment(
                        dpb.RecordRepaymentRequest(
                            request_id=f"pay-{thread}-{n}",
                            name=name,
                            amount=cny("500.00"),
                            value_date=date("2025-07-11"),
                        )
                    )
                    with lock:
                        results.append(response)
                except BaseException as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 16
    assert sum(yuan(r.interest) + yuan(r.overdue_interest) for r in results) == Decimal("1000.00")
    assert sum(yuan(r.principal) for r in results) == Decimal("7000.00")
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "10000"  # 1,000,000.00 × 10% ÷ 10.00
    books[acct(ARM, f"options-granted.{d}")] = "10000"
    books[acct(BANK, f"loans.{d}")] = "993000.00"
    books[acct(BANK, "interest-income")] = "1000.00"
    books[acct(BANK, "clearing")] = "-992000.00"  # -1,000,000.00 + 8,000.00
    books.check()
    deal = deals.GetDeal(dpb.GetDealRequest(name=name)).deal
    assert [e.kind for e in deal.events].count("repaid") == 16
    for party in (BANK, ARM, POOL):
        assert verify_book(ledger, party).ok
