"""Non-accrual (停止计息, 表外利息), the allowance at write-off and off-balance recoveries, over real gRPC on
SQLite and PostgreSQL (issue 17), every balance of every party written out by hand after each step.

The loan: 1,000,000.00 at 3.60 % ACT/360 from 15 Jan 2025 to 15 Jan 2026, interest monthly on the 15th,
unadjusted, bullet: 1,000,000.00 × 3.6 % / 360 = 100.00 of interest a day. The subsidy fund pays 25 % of
the interest (25.00 a day), the borrower 75.00 a day. Risk sharing as the worked example: the pool
compensates 70 % of a loss (unsecured tier), the insurer 20 %. The borrower is a growth company.

The borrower pays the first period (15 Jan → 15 Feb, 31 days: 3,100.00, of which 2,325.00 its own) and
then nothing, so days past due as of D are D − 15 Mar. Under the default policy the loan accrues while
at most 90 days past due, and from the 91st day (14 Jun 2025) its interest is off balance sheet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc
import pytest

from deals.credit.classification import Policy
from ledger.store import Ledger
from server.app import create_server
from tests.conftest import LedgerStub
from tests.integration.deals_world import (
    ARM,
    BANK,
    FUND,
    INSURER,
    POOL,
    Books,
    Deals,
    Stub,
    acct,
    approve_insurance,
    cny,
    create_parties,
    date,
    deal_accounts,
    deal_terms,
    yuan,
)
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import credit_pb2_grpc, deals_pb2_grpc
from toudai.v1 import deals_pb2 as dpb

D = "na-loan"
NAME = f"deals/{D}"


@pytest.fixture
def credit(channel: grpc.Channel) -> Any:
    return credit_pb2_grpc.CreditServiceStub(channel)


def _classified(credit: Any, day: str) -> tuple[int, int]:
    found = credit.GetDealClassification(cpb.GetDealClassificationRequest(name=NAME, as_of_date=date(day)))
    return found.classification.days_past_due, found.classification.category


def _accrue(deals: Deals, through: str) -> Any:
    return deals.AccrueInterest(
        dpb.AccrueInterestRequest(request_id=f"acc-{through}", name=NAME, through_date=date(through))
    )


def test_a_loan_going_30_90_180_days_past_due(
    stub: Stub, deals: Deals, credit: Any, ledger: Ledger, channel: grpc.Channel
) -> None:
    create_parties(stub)
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-01-15",
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_INTEREST_SHARE, subsidy_fund=f"parties/{FUND}", share="0.25"),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    books = Books(stub, ledger, [BANK, ARM, POOL, FUND, INSURER])
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book", deal_id=D, terms=terms))
    books.open(*deal_accounts(D))
    books[acct(ARM, f"options.{D}")] = "10000"  # 1,000,000.00 × 10 % ÷ 10.00
    books[acct(ARM, f"options-granted.{D}")] = "10000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-01-10")
        )
    )
    books[acct(POOL, "cash")] = books[acct(POOL, "capital")] = "1000000.00"
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse", name=NAME))
    books[acct(BANK, f"loans.{D}")] = "1000000.00"
    books[acct(BANK, "clearing")] = "-1000000.00"
    books.check()

    # 15 Feb: the first period's 3,100.00 accrues (2,325.00 the borrower's, 775.00 the fund's), and the
    # borrower's 2,325.00 and the fund's 775.00 settle it.
    paid = deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r1", name=NAME, amount=cny("2325.00"), value_date=date("2025-02-15"))
    )
    assert (yuan(paid.interest), yuan(paid.subsidy)) == (Decimal("2325.00"), Decimal("775.00"))
    books[acct(BANK, "interest-income")] = "3100.00"
    books[acct(BANK, "clearing")] = "-996900.00"
    books[acct(FUND, "cash")] = "-775.00"
    books[acct(FUND, "subsidy-expense")] = "775.00"
    books.check()

    # 30 days past due on 14 Apr: special mention, still accruing. 15 Feb → 15 Apr is 59 days: 5,900.00,
    # of which 1,475.00 the fund's and 4,425.00 the borrower's.
    accrued = _accrue(deals, "2025-04-14")
    assert _classified(credit, "2025-04-14") == (30, cpb.LOAN_CATEGORY_SPECIAL_MENTION)
    assert (yuan(accrued.accrued), yuan(accrued.off_balance_interest)) == (Decimal("5900.00"), 0)
    books[acct(BANK, f"interest-receivable.{D}")] = "4425.00"
    books[acct(BANK, f"subsidy-receivable.{D}")] = "1475.00"
    books[acct(BANK, "interest-income")] = "9000.00"
    books[acct(FUND, "subsidy-expense")] = "2250.00"
    books[acct(FUND, f"subsidy-payable.{D}")] = "1475.00"
    books.check()

    # 90 days past due on 13 Jun: still special mention and still accruing: 15 Feb → 14 Jun is 119 days,
    # 11,900.00 (2,975.00 the fund's, 8,925.00 the borrower's).
    accrued = _accrue(deals, "2025-06-13")
    assert _classified(credit, "2025-06-13") == (90, cpb.LOAN_CATEGORY_SPECIAL_MENTION)
    assert not accrued.deal.HasField("non_accrual_since")
    books[acct(BANK, f"interest-receivable.{D}")] = "8925.00"
    books[acct(BANK, f"subsidy-receivable.{D}")] = "2975.00"
    books[acct(BANK, "interest-income")] = "15000.00"
    books[acct(FUND, "subsidy-expense")] = "3750.00"
    books[acct(FUND, f"subsidy-payable.{D}")] = "2975.00"
    books.check()

    # 91 days past due on 14 Jun: substandard and on non-accrual from that day. The unpaid 8,925.00 leaves
    # the books for the memo pair (its income reversed), the 2,975.00 subsidy receivable is reversed in
    # both books, and 14 Jun's interest is tracked off balance sheet: the borrower's 75.00 (the fund's
    # 25.00 is not owed on an overdue loan). Income is back to the 3,100.00 actually paid.
    accrued = _accrue(deals, "2025-06-14")
    assert _classified(credit, "2025-06-14") == (91, cpb.LOAN_CATEGORY_SUBSTANDARD)
    assert accrued.deal.non_accrual_since == date("2025-06-14")
    assert (yuan(accrued.accrued), yuan(accrued.off_balance_interest)) == (0, Decimal("75.00"))
    assert (yuan(accrued.moved_off_balance), yuan(accrued.subsidy_reversed)) == (Decimal("8925.00"), Decimal("2975.00"))
    books.open(acct(BANK, f"off-balance-interest.{D}"), acct(BANK, f"off-balance-interest-contra.{D}"))
    books[acct(BANK, f"interest-receivable.{D}")] = "0"
    books[acct(BANK, f"subsidy-receivable.{D}")] = "0"
    books[acct(BANK, "interest-income")] = "3100.00"
    books[acct(BANK, f"off-balance-interest.{D}")] = "9000.00"  # 8,925.00 moved + 75.00
    books[acct(BANK, f"off-balance-interest-contra.{D}")] = "-9000.00"
    books[acct(FUND, "subsidy-expense")] = "775.00"
    books[acct(FUND, f"subsidy-payable.{D}")] = "0"
    books.check()

    # 180 days past due on 11 Sep (15 Mar + 180 days): substandard; 15 Jun → 12 Sep is 89 days off
    # balance sheet: 89 × 75.00 = 6,675.00. Nothing reaches income.
    accrued = _accrue(deals, "2025-09-11")
    assert _classified(credit, "2025-09-11") == (180, cpb.LOAN_CATEGORY_SUBSTANDARD)
    assert (yuan(accrued.accrued), yuan(accrued.off_balance_interest)) == (0, Decimal("6675.00"))
    assert yuan(accrued.deal.off_balance_interest) == Decimal("15675.00")
    books[acct(BANK, f"off-balance-interest.{D}")] = "15675.00"
    books[acct(BANK, f"off-balance-interest-contra.{D}")] = "-15675.00"
    books.check()

    # Provisioned as documented: stage 3 (substandard), PD 1, growth LGD 0.60; EAD = principal + interest
    # on the books = 1,000,000.00 (off-balance interest is not an exposure); the loss LGD × EAD =
    # 600,000.00, of which the pool covers 70 % (420,000.00) and the insurer 20 % (120,000.00):
    # ECL = 1 × (600,000.00 − 540,000.00) = 60,000.00.
    run = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-sep", branch=f"parties/{BANK}", as_of_date=date("2025-09-11"))
    ).run
    (line,) = run.lines
    assert (line.stage, line.probability_of_default, line.loss_given_default) == (3, "1", "0.60")
    assert (yuan(line.exposure_at_default), yuan(line.cover)) == (Decimal("1000000.00"), Decimal("540000.00"))
    assert yuan(line.expected_credit_loss) == Decimal("60000.00")
    books.open(acct(BANK, f"loan-loss-allowance.{D}"), acct(BANK, "credit-impairment-loss"))
    books[acct(BANK, f"loan-loss-allowance.{D}")] = "-60000.00"
    books[acct(BANK, "credit-impairment-loss")] = "60000.00"
    books.check()

    # 20 Sep: the borrower pays 5,000.00. First 12 → 20 Sep is tracked (8 × 75.00 = 600.00); the payment
    # goes to interest in the contract's order, here all off balance sheet, and is income on receipt.
    # Paid so far 2,325.00 + 5,000.00 = 7,325.00 covers the instalments of 15 Feb (2,325.00), 15 Mar
    # (28 × 75.00 = 2,100.00) and 15 Apr (2,325.00) but not 15 May: 128 days past due, still non-accrual.
    paid = deals.RecordRepayment(
        dpb.RecordRepaymentRequest(request_id="r2", name=NAME, amount=cny("5000.00"), value_date=date("2025-09-20"))
    )
    assert yuan(paid.off_balance_interest) == Decimal("5000.00")
    assert (yuan(paid.overdue_interest), yuan(paid.interest), yuan(paid.principal)) == (0, 0, 0)
    assert yuan(paid.accrual_resumed) == 0 and paid.deal.non_accrual_since == date("2025-06-14")
    assert _classified(credit, "2025-09-20") == (128, cpb.LOAN_CATEGORY_SUBSTANDARD)
    books[acct(BANK, f"off-balance-interest.{D}")] = "11275.00"  # 15,675.00 + 600.00 − 5,000.00
    books[acct(BANK, f"off-balance-interest-contra.{D}")] = "-11275.00"
    books[acct(BANK, "interest-income")] = "8100.00"
    books[acct(BANK, "clearing")] = "-991900.00"
    books.check()

    # 15 Oct: default. 20 Sep → 15 Oct is 25 days off balance sheet (1,875.00). The loss is what the books
    # carry: 1,000,000.00 of principal and no interest; the pool pays 700,000.00, the insurer owes 200,000.00.
    defaulted = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default", name=NAME, value_date=date("2025-10-15"), reason="r")
    )
    assert yuan(defaulted.loss) == Decimal("1000000.00")
    approve_insurance(channel, D)  # the insurer's staff approve its 20 % claim, posted on the default's date
    assert yuan(defaulted.deal.off_balance_interest) == Decimal("13150.00")
    books[acct(BANK, f"off-balance-interest.{D}")] = "13150.00"
    books[acct(BANK, f"off-balance-interest-contra.{D}")] = "-13150.00"
    books[acct(BANK, "clearing")] = "-291900.00"
    books[acct(BANK, f"compensation-received.{D}")] = "700000.00"
    books[acct(BANK, f"insurance-receivable.{D}")] = "200000.00"
    books[acct(BANK, f"insurance-compensation.{D}")] = "200000.00"
    books[acct(POOL, "cash")] = "300000.00"
    books[acct(POOL, "compensation-expense")] = "700000.00"
    books[acct(INSURER, "claims-expense")] = "200000.00"
    books[acct(INSURER, f"claims-payable.{D}")] = "200000.00"
    books.check()

    # Month end: measured after default, ECL = 1 × 0.60 × (1,000,000.00 − 900,000.00 measured cover) =
    # 60,000.00, already provided: nothing to post.
    run = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-oct", branch=f"parties/{BANK}", as_of_date=date("2025-10-31"))
    ).run
    assert (yuan(run.allowance), yuan(run.change), run.transaction) == (Decimal("60000.00"), 0, "")

    # 10 Nov: write-off. 1,000,000.00 leaves the books; the cover held takes 900,000.00, the allowance the
    # 60,000.00 it provided, and 40,000.00 is the loss of the day. The 13,150.00 off balance sheet is still
    # owed (账销案存).
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo", name=NAME, value_date=date("2025-11-10")))
    assert (yuan(written.written_off), yuan(written.allowance_applied), yuan(written.loan_loss)) == (
        Decimal("1000000.00"),
        Decimal("60000.00"),
        Decimal("40000.00"),
    )
    assert yuan(written.off_balance_interest) == Decimal("13150.00")
    books[acct(BANK, f"loans.{D}")] = "0"
    books[acct(BANK, f"compensation-received.{D}")] = "0"
    books[acct(BANK, f"insurance-compensation.{D}")] = "0"
    books[acct(BANK, f"loan-loss-allowance.{D}")] = "0"
    books[acct(BANK, "loan-loss")] = "40000.00"
    books.check()

    # 1 Dec: 150,000.00 recovered, all principal, shared 70/20/10: the pool 105,000.00 in cash, the insurer
    # 30,000.00 set off against its unpaid 200,000.00, the bank 15,000.00.
    first = deals.RecordRecovery(
        dpb.RecordRecoveryRequest(request_id="rec1", name=NAME, amount=cny("150000.00"), value_date=date("2025-12-01"))
    )
    assert (yuan(first.pool_share), yuan(first.insurer_set_off), yuan(first.bank_share)) == (
        Decimal("105000.00"),
        Decimal("30000.00"),
        Decimal("15000.00"),
    )
    books.open(
        acct(BANK, "collection-costs"),
        acct(BANK, "written-off-recoveries"),
        acct(POOL, "recovery-income"),
        acct(INSURER, "recovery-income"),
        acct(INSURER, "cash"),
    )
    books[acct(BANK, "clearing")] = "-246900.00"  # + 150,000.00 − the pool's 105,000.00
    books[acct(BANK, "written-off-recoveries")] = "15000.00"
    books[acct(BANK, f"insurance-receivable.{D}")] = "170000.00"
    books[acct(POOL, "cash")] = "405000.00"
    books[acct(POOL, "recovery-income")] = "105000.00"
    books[acct(INSURER, f"claims-payable.{D}")] = "170000.00"
    books[acct(INSURER, "recovery-income")] = "30000.00"
    books.check()

    # 10 Dec: 863,150.00 recovered: the 850,000.00 of principal left, shared so that the pool has its
    # 700,000.00 back (595,000.00 more) and the insurer its 200,000.00 (170,000.00, all set off), the bank
    # 85,000.00; then the 13,150.00 off balance sheet, the bank's alone, income on receipt.
    rest = deals.RecordRecovery(
        dpb.RecordRecoveryRequest(request_id="rec2", name=NAME, amount=cny("863150.00"), value_date=date("2025-12-10"))
    )
    assert (yuan(rest.principal), yuan(rest.interest), yuan(rest.off_balance_interest)) == (
        Decimal("850000.00"),
        0,
        Decimal("13150.00"),
    )
    assert (yuan(rest.pool_share), yuan(rest.insurer_share), yuan(rest.bank_share)) == (
        Decimal("595000.00"),
        Decimal("170000.00"),
        Decimal("85000.00"),
    )
    books[acct(BANK, "clearing")] = "21250.00"  # − 246,900.00 + 255,000.00 + 13,150.00
    books[acct(BANK, "written-off-recoveries")] = "113150.00"  # 15,000.00 + 85,000.00 + 13,150.00
    books[acct(BANK, f"insurance-receivable.{D}")] = "0"
    books[acct(BANK, f"off-balance-interest.{D}")] = "0"
    books[acct(BANK, f"off-balance-interest-contra.{D}")] = "0"
    books[acct(POOL, "cash")] = "1000000.00"
    books[acct(POOL, "recovery-income")] = "700000.00"
    books[acct(INSURER, f"claims-payable.{D}")] = "0"
    books[acct(INSURER, "recovery-income")] = "200000.00"
    books.check()
    # The bank's result: 8,100.00 of interest received + 113,150.00 recovered − 40,000.00 loss − 60,000.00
    # impairment = 21,250.00, its clearing balance.


def test_the_threshold_is_the_servers_policy(ledger: Ledger) -> None:
    """`toudai serve --non-accrual-days 30`: the same loan stops accruing on its 31st day past due, 15 Apr
    (15 Mar + 31 days), and what accrued 15 Feb → 15 Apr on the books (59 days × 75.00 = 4,425.00 of the
    borrower's, 59 × 25.00 = 1,475.00 of the fund's) leaves them that day."""
    server, port = create_server(ledger, "127.0.0.1:0", credit_policy=Policy(non_accrual_days=30))
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = LedgerStub(channel)
            deals = deals_pb2_grpc.DealServiceStub(channel)
            create_parties(stub)
            terms = deal_terms(
                principal="1000000.00",
                rate="0.036",
                start="2025-01-15",
                maturity="2026-01-15",
                subsidy=dpb.SubsidyTerms(
                    type=dpb.SUBSIDY_TYPE_INTEREST_SHARE, subsidy_fund=f"parties/{FUND}", share="0.25"
                ),
            )
            terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
            deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book", deal_id=D, terms=terms))
            deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse", name=NAME))
            deals.RecordRepayment(
                dpb.RecordRepaymentRequest(
                    request_id="r1", name=NAME, amount=cny("2325.00"), value_date=date("2025-02-15")
                )
            )
            still = _accrue(deals, "2025-04-14")  # 30 days past due: accruing
            assert not still.deal.HasField("non_accrual_since")
            moved = _accrue(deals, "2025-04-15")
            assert moved.deal.non_accrual_since == date("2025-04-15")
            assert (yuan(moved.moved_off_balance), yuan(moved.subsidy_reversed)) == (
                Decimal("4425.00"),
                Decimal("1475.00"),
            )
            assert yuan(moved.off_balance_interest) == Decimal("75.00")
    finally:
        server.stop(0).wait()
