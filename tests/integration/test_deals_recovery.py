"""Recoveries after default and write-off, shared with the risk pool and the insurer, over real gRPC on
SQLite and PostgreSQL (issue 17). Also the default's cover in its own accounts and the subsidy reversed at
default.

Every expected figure is worked out by hand in the comments (amounts CNY; ACT/360; shares rounded once to
the fen, half up, on the net recoveries so far, docs/deals.md "Recoveries"); after every step the test
compares EVERY account of every party with them and checks every party's trial balance is zero.
"""

from __future__ import annotations

from decimal import Decimal

import grpc
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from ledger.store import Ledger
from tests.agreements_world import sign_agreements
from tests.integration.authz_world import reason_of
from tests.integration.deals_world import (
    ARM,
    BANK,
    FUND,
    INSURER,
    PARTIES,
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
    refused,
    retried,
    reused,
    yuan,
)
from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb

CODE = grpc.StatusCode


def field_paths(error: grpc.RpcError) -> list[tuple[str, str]]:
    """(field, reason) of every BadRequest field violation of a refusal."""
    status: status_pb2.Status | None = rpc_status.from_call(error)  # type: ignore[arg-type]
    found = []
    for detail in status.details if status else ():
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found += [(v.field, v.reason) for v in bad.field_violations]
    return found


def recovery(
    request_id: str, name: str, amount: str, day: str | None, costs: str | None = None
) -> dpb.RecordRecoveryRequest:
    request = dpb.RecordRecoveryRequest(request_id=request_id, name=name, amount=cny(amount))
    if costs is not None:
        request.costs.CopyFrom(cny(costs))
    if day is not None:
        request.value_date.CopyFrom(date(day))
    return request


def shares(r: dpb.RecordRecoveryResponse) -> list[Decimal]:
    """costs, principal, interest, pool share, pool set-off, insurer share, insurer set-off, bank share."""
    return [
        yuan(m)
        for m in (
            r.costs,
            r.principal,
            r.interest,
            r.pool_share,
            r.pool_set_off,
            r.insurer_share,
            r.insurer_set_off,
            r.bank_share,
        )
    ]


def post(stub: Stub, request_id: str, day: str, debit: str, credit: str, amount: str) -> None:
    stub.PostTransactions(
        pb.PostTransactionsRequest(
            transactions=[
                pb.TransactionInput(
                    request_id=request_id,
                    value_date=date(day),
                    description=request_id,
                    postings=[
                        pb.Posting(account=debit, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=amount)),
                        pb.Posting(
                            account=credit, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=amount)
                        ),
                    ],
                )
            ]
        )
    )


# ---------------------------------------------------------------------- before write-off, pool short


def test_a_recovery_after_a_70_percent_pool_payment_returns_the_pool_its_share(
    stub: Stub, deals: Deals, ledger: Ledger
) -> None:
    """1,000,000.00 at 4.35% ACT/360 from 1 July 2025, 80% unsecured (the 70% tier), no insurer, no subsidy.

    Default on 11 July: 10 days of interest, 1,000,000.00 × 4.35% × 10 / 360 = 1,208.333 → 1,208.33;
    loss L = 1,001,208.33; the pool's 70% = 700,845.831 → C = 700,845.83 (below the 3,000,000.00 cap). The
    pool holds 500,000.00: it pays that and owes 200,845.83. The bank bears L − C = 300,362.50.

    Recovery 1 (15 Sep, 350,000.00, no costs): all to principal. Pool's share 350,000.00 × 700,845.83 /
    1,001,208.33 = 244,999.9997 → 245,000.00; it still owes 200,845.83 on its claim, so 200,845.83 is set
    off and 44,154.17 paid in cash. The bank keeps 105,000.00.
    Recovery 2 (20 Oct, 100,000.00 of which 3,500.00 collection costs, booked by the bank on 10 Oct): the
    costs first (the bank's); 96,500.00 to principal. Net so far 446,500.00: pool 446,500.00 × 700,845.83 /
    1,001,208.33 = 312,549.9995 → 312,550.00, less 245,000.00 given: 67,550.00 in cash. Bank 28,950.00.
    Recovery 3 (no date: the business date), everything still owed: principal 1,000,000.00 − 350,000.00 −
    96,500.00 = 553,500.00, then interest 1,208.33: 554,708.33. Net so far = L, so the pool's cumulative share
    is exactly C: 700,845.83 − 312,550.00 = 388,295.83; the bank 166,412.50. In all the pool got back
    700,845.83 (what it bore) and the bank 105,000.00 + 28,950.00 + 166,412.50 = 300,362.50 (what it bore).
    """
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-701", "deals/hz-2025-701"
    terms = deal_terms(
        principal="1000000.00",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(
            risk_pool=f"parties/{POOL}",
            base_rate="0.50",
            unsecured_share="0.80",
            unsecured_threshold="0.70",
            unsecured_rate="0.70",
            cap=cny("3000000.00"),
        ),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-701", deal_id=d, terms=terms))
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "10000"  # 1,000,000.00 × 10% ÷ 10.00
    books[acct(ARM, f"options-granted.{d}")] = "10000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-701", risk_pool=f"parties/{POOL}", amount=cny("500000.00"), value_date=date("2025-07-01")
        )
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-701", name=name))
    books[acct(POOL, "cash")] = "500000.00"
    books[acct(POOL, "capital")] = "500000.00"
    books[acct(BANK, f"loans.{d}")] = "1000000.00"
    books[acct(BANK, "clearing")] = "-1000000.00"
    books.check()

    # A performing loan has nothing to recover.
    error = refused(
        deals.RecordRecovery,
        recovery("rec-early", name, "1000.00", "2025-07-05"),
        CODE.FAILED_PRECONDITION,
        ledger,
    )
    assert reason_of(error) == "ILLEGAL_DEAL_TRANSITION" and "is disbursed" in (error.details() or "")

    defaulted = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default-701", name=name, value_date=date("2025-07-11"), reason="r")
    )
    assert [yuan(m) for m in (defaulted.loss, defaulted.compensation_paid, defaulted.compensation_claim)] == [
        Decimal("1001208.33"),
        Decimal("500000.00"),
        Decimal("200845.83"),
    ]
    # The borrower still owes all of it; the pool's cover sits in its own accounts.
    assert yuan(defaulted.deal.principal_outstanding) == Decimal("1000000.00")
    assert yuan(defaulted.deal.interest_receivable) == Decimal("1208.33")
    books[acct(BANK, f"interest-receivable.{d}")] = "1208.33"
    books[acct(BANK, "interest-income")] = "1208.33"
    books[acct(BANK, "clearing")] = "-500000.00"  # -1,000,000.00 + 500,000.00 from the pool
    books[acct(BANK, f"compensation-receivable.{d}")] = "200845.83"
    books[acct(BANK, f"compensation-received.{d}")] = "700845.83"
    books[acct(POOL, "cash")] = "0"
    books[acct(POOL, "compensation-expense")] = "700845.83"
    books[acct(POOL, f"claims-payable.{d}")] = "200845.83"
    books.check()

    # Recovery 1: 350,000.00; the pool's 245,000.00 first settles the 200,845.83 it still owes.
    first = retried(deals.RecordRecovery, recovery("rec-1", name, "350000.00", "2025-09-15"))
    assert shares(first) == [
        0,
        Decimal("350000.00"),
        0,
        Decimal("245000.00"),
        Decimal("200845.83"),
        0,
        0,
        Decimal("105000.00"),
    ]
    assert first.deal.status == dpb.DEAL_STATUS_DEFAULTED
    books.open(acct(BANK, "collection-costs"), acct(BANK, "written-off-recoveries"), acct(POOL, "recovery-income"))
    books[acct(BANK, "clearing")] = "-194154.17"  # -500,000.00 + 350,000.00 - 44,154.17 paid to the pool
    books[acct(BANK, f"loans.{d}")] = "650000.00"
    books[acct(BANK, f"compensation-received.{d}")] = "455845.83"  # 700,845.83 - 245,000.00
    books[acct(BANK, f"compensation-receivable.{d}")] = "0"
    books[acct(POOL, f"claims-payable.{d}")] = "0"
    books[acct(POOL, "cash")] = "44154.17"
    books[acct(POOL, "recovery-income")] = "245000.00"
    books.check()
    reused(deals.RecordRecovery, recovery("rec-1", name, "350000.01", "2025-09-15"), ledger)
    reused(deals.RecordRecovery, recovery("rec-1", name, "350000.00", None), ledger)

    # The bank pays a lawyer 3,500.00 on 10 October (its own entry), and the next recovery repays it first.
    post(stub, "lawyer", "2025-10-10", acct(BANK, "collection-costs"), acct(BANK, "clearing"), "3500.00")
    books[acct(BANK, "collection-costs")] = "3500.00"
    books[acct(BANK, "clearing")] = "-197654.17"
    books.check()
    second = retried(deals.RecordRecovery, recovery("rec-2", name, "100000.00", "2025-10-20", costs="3500.00"))
    assert shares(second) == [
        Decimal("3500.00"),
        Decimal("96500.00"),
        0,
        Decimal("67550.00"),
        0,
        0,
        0,
        Decimal("28950.00"),
    ]
    books[acct(BANK, "collection-costs")] = "0"
    books[acct(BANK, "clearing")] = "-165204.17"  # -197,654.17 + 100,000.00 - 67,550.00
    books[acct(BANK, f"loans.{d}")] = "553500.00"
    books[acct(BANK, f"compensation-received.{d}")] = "388295.83"  # 455,845.83 - 67,550.00
    books[acct(POOL, "cash")] = "111704.17"
    books[acct(POOL, "recovery-income")] = "312550.00"
    books.check()

    # Refusals change nothing: more than is owed (553,500.00 + 1,208.33 = 554,708.33), costs above the
    # amount, a zero amount, a date before the last step.
    error = refused(
        deals.RecordRecovery, recovery("rec-x", name, "554708.34", "2025-11-20"), CODE.INVALID_ARGUMENT, ledger
    )
    assert field_paths(error) == [("amount", "RECOVERY_EXCEEDS_DEBT")]
    assert "554708.33 CNY" in (error.details() or "")
    error = refused(
        deals.RecordRecovery,
        recovery("rec-x", name, "100.00", "2025-11-20", costs="100.01"),
        CODE.INVALID_ARGUMENT,
        ledger,
    )
    assert field_paths(error) == [("costs", "COSTS_EXCEED_AMOUNT")]
    error = refused(deals.RecordRecovery, recovery("rec-x", name, "0", "2025-11-20"), CODE.INVALID_ARGUMENT, ledger)
    assert field_paths(error) == [("amount", "NON_POSITIVE_AMOUNT")]
    error = refused(
        deals.RecordRecovery,
        recovery("rec-x", name, "100.00", "2025-11-20", costs="-1.00"),
        CODE.INVALID_ARGUMENT,
        ledger,
    )
    assert field_paths(error) == [("costs", "NEGATIVE_AMOUNT")]
    error = refused(
        deals.RecordRecovery, recovery("rec-x", name, "100.00", "2025-10-19"), CODE.FAILED_PRECONDITION, ledger
    )
    assert reason_of(error) == "LATE_EVENT" and "2025-10-20" in (error.details() or "")

    # Recovery 3 collects the rest, dated the server's business date: principal, then interest; the pool's
    # share is what it bore less what it got back, 700,845.83 - 312,550.00 = 388,295.83.
    third = retried(deals.RecordRecovery, recovery("rec-3", name, "554708.33", None))
    assert shares(third) == [
        0,
        Decimal("553500.00"),
        Decimal("1208.33"),
        Decimal("388295.83"),
        0,
        0,
        0,
        Decimal("166412.50"),
    ]
    assert third.deal.events[-1].kind == "recovered"
    assert third.deal.events[-1].value_date == date(ledger.today().isoformat())
    books[acct(BANK, f"loans.{d}")] = "0"
    books[acct(BANK, f"interest-receivable.{d}")] = "0"
    books[acct(BANK, f"compensation-received.{d}")] = "0"
    # -165,204.17 + 554,708.33 - 388,295.83: the bank is whole, its interest income in cash.
    books[acct(BANK, "clearing")] = "1208.33"
    books[acct(POOL, "cash")] = "500000.00"  # 111,704.17 + 388,295.83
    books[acct(POOL, "recovery-income")] = "700845.83"  # = its compensation expense
    books.check()
    # Nothing is owed any more.
    error = refused(deals.RecordRecovery, recovery("rec-4", name, "0.01", None), CODE.INVALID_ARGUMENT, ledger)
    assert field_paths(error) == [("amount", "RECOVERY_EXCEEDS_DEBT")]


# ---------------------------------------------------------------------- after write-off, insurer, subsidy


def test_recoveries_after_write_off_with_an_insurer_and_the_subsidy_reversed_at_default(
    stub: Stub, deals: Deals, ledger: Ledger, channel: grpc.Channel
) -> None:
    """The worked example's terms (10,000,000.00 at 4.35%, 3.65 pp subsidy, 70% tier capped at 3,000,000.00,
    insurer 20%), defaulting on its first payment date with nothing ever paid.

    Default on 3 April 2025 accrues 3 March → 2 April (31 days): interest 37,458.33, of which subsidy
    31,430.56 and borrower 6,027.77. No repayment ever came, so the subsidy is never due: 31,430.56 is
    reversed (the bank's interest income falls to 6,027.77; the fund's expense and payable to 0). Loss
    L = 10,000,000.00 + 6,027.77 = 10,006,027.77; pool 70% = 7,004,219.44, capped: C = 3,000,000.00, paid
    from its 3,000,000.00; insurer 20% = 2,001,205.554 → S = 2,001,205.55 (owed).

    Write-off on 30 June: 10,006,027.77 leaves the books; the cover held offsets 3,000,000.00 + 2,001,205.55;
    the bank's loan loss is 5,004,822.22.

    Recovery 1 (30 Sep, 1,000,000.00 of which 12,345.67 costs, booked on 1 Sep): net 987,654.33, all
    principal. Pool 987,654.33 × 3,000,000.00 / 10,006,027.77 = 296,117.806 → 296,117.81, paid in cash (it
    owes nothing). Insurer 987,654.33 × 2,001,205.55 / 10,006,027.77 = 197,530.866 → 197,530.87, set off
    against the 2,001,205.55 it still owes. Bank 987,654.33 − 296,117.81 − 197,530.87 = 494,005.65, income
    of a written-off loan (已核销贷款收回).
    Recovery 2 (1 Dec) of all still owed: principal 10,000,000.00 − 987,654.33 = 9,012,345.67, then interest
    6,027.77: 9,018,373.44 (one fen more is refused). Net so far = L, so each party's share is capped at what
    it bore less what it got: pool 3,000,000.00 − 296,117.81 = 2,703,882.19, insurer 2,001,205.55 −
    197,530.87 = 1,803,674.68 (set off: its payable is now 0), bank 9,018,373.44 − 2,703,882.19 −
    1,803,674.68 = 4,510,816.57. The bank's recoveries 494,005.65 + 4,510,816.57 = 5,004,822.22 = its loss.
    """
    create_parties(stub)
    books = Books(stub, ledger, list(PARTIES))
    d, name = "hz-2025-702", "deals/hz-2025-702"
    terms = deal_terms()
    terms.loan.calendar.base = dpb.HOLIDAY_CALENDAR_WEEKENDS_ONLY  # as the worked example
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-702", deal_id=d, terms=terms))
    books.open(*deal_accounts(d))
    books[acct(ARM, f"options.{d}")] = "100000"
    books[acct(ARM, f"options-granted.{d}")] = "100000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-702", risk_pool=f"parties/{POOL}", amount=cny("3000000.00"), value_date=date("2025-03-03")
        )
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-702", name=name))
    books[acct(POOL, "cash")] = "3000000.00"
    books[acct(POOL, "capital")] = "3000000.00"
    books[acct(BANK, f"loans.{d}")] = "10000000.00"
    books[acct(BANK, "clearing")] = "-10000000.00"
    books.check()

    defaulted = retried(
        deals.RecordDefault,
        dpb.RecordDefaultRequest(request_id="default-702", name=name, value_date=date("2025-04-03"), reason="gone"),
    )
    assert [
        yuan(m)
        for m in (
            defaulted.loss,
            defaulted.compensation_paid,
            defaulted.compensation_claim,
            defaulted.insurer_share,
            defaulted.subsidy_reversed,
        )
    ] == [
        Decimal("10006027.77"),
        Decimal("3000000.00"),
        0,
        Decimal("2001205.55"),
        Decimal("31430.56"),
    ]
    assert yuan(defaulted.deal.subsidy_receivable) == 0
    approve_insurance(channel, d)  # the insurer's claims staff approve its 20 % (docs/insurance.md)
    books[acct(BANK, f"interest-receivable.{d}")] = "6027.77"
    books[acct(BANK, "interest-income")] = "6027.77"  # 37,458.33 - 31,430.56
    books[acct(BANK, "clearing")] = "-7000000.00"
    books[acct(BANK, f"compensation-received.{d}")] = "3000000.00"
    books[acct(BANK, f"insurance-receivable.{d}")] = "2001205.55"
    books[acct(BANK, f"insurance-compensation.{d}")] = "2001205.55"
    books[acct(POOL, "cash")] = "0"
    books[acct(POOL, "compensation-expense")] = "3000000.00"
    books[acct(INSURER, "claims-expense")] = "2001205.55"
    books[acct(INSURER, f"claims-payable.{d}")] = "2001205.55"
    # The fund's subsidy expense and payable: 31,430.56 on 2 April, reversed on 3 April.
    books.check()
    payable = acct(FUND, f"subsidy-payable.{d}")
    as_of = stub.GetBalance(pb.GetBalanceRequest(account=payable, as_of_date=date("2025-04-02"))).balance
    assert as_of.balance.value == "31430.56"

    written = retried(
        deals.WriteOff, dpb.WriteOffRequest(request_id="wo-702", name=name, value_date=date("2025-06-30"))
    )
    assert [
        yuan(m)
        for m in (written.written_off, written.compensation_applied, written.insurance_applied, written.loan_loss)
    ] == [Decimal("10006027.77"), Decimal("3000000.00"), Decimal("2001205.55"), Decimal("5004822.22")]
    books[acct(BANK, f"loans.{d}")] = "0"
    books[acct(BANK, f"interest-receivable.{d}")] = "0"
    books[acct(BANK, f"compensation-received.{d}")] = "0"
    books[acct(BANK, f"insurance-compensation.{d}")] = "0"
    books[acct(BANK, "loan-loss")] = "5004822.22"
    books.check()

    # The bank books its collection costs as it pays them, on an account it opens itself.
    stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id="costs-account",
            party=f"parties/{BANK}",
            code="collection-costs",
            display_name="催收费用",
            type=pb.ACCOUNT_TYPE_EXPENSE,
            commodity="CNY",
        )
    )
    post(stub, "court-fees", "2025-09-01", acct(BANK, "collection-costs"), acct(BANK, "clearing"), "12345.67")
    books.open(acct(BANK, "collection-costs"))
    books[acct(BANK, "collection-costs")] = "12345.67"
    books[acct(BANK, "clearing")] = "-7012345.67"
    books.check()

    first = retried(deals.RecordRecovery, recovery("rec-702-1", name, "1000000.00", "2025-09-30", costs="12345.67"))
    assert shares(first) == [
        Decimal("12345.67"),
        Decimal("987654.33"),
        0,
        Decimal("296117.81"),
        0,
        Decimal("197530.87"),
        Decimal("197530.87"),
        Decimal("494005.65"),
    ]
    assert first.deal.status == dpb.DEAL_STATUS_WRITTEN_OFF
    books.open(
        acct(BANK, "written-off-recoveries"),
        acct(POOL, "recovery-income"),
        acct(INSURER, "recovery-income"),
        acct(INSURER, "cash"),
    )
    books[acct(BANK, "collection-costs")] = "0"
    books[acct(BANK, "clearing")] = "-6308463.48"  # -7,012,345.67 + 1,000,000.00 - 296,117.81 to the pool
    books[acct(BANK, "written-off-recoveries")] = "494005.65"
    books[acct(BANK, f"insurance-receivable.{d}")] = "1803674.68"  # 2,001,205.55 - 197,530.87 set off
    books[acct(POOL, "cash")] = "296117.81"
    books[acct(POOL, "recovery-income")] = "296117.81"
    books[acct(INSURER, f"claims-payable.{d}")] = "1803674.68"
    books[acct(INSURER, "recovery-income")] = "197530.87"
    books.check()

    # After write-off the borrower still owes 9,018,373.44: a fen more is refused, as is a date before the
    # last step (the recovery of 30 September).
    error = refused(
        deals.RecordRecovery, recovery("rec-702-x", name, "9018373.45", "2025-12-01"), CODE.INVALID_ARGUMENT, ledger
    )
    assert field_paths(error) == [("amount", "RECOVERY_EXCEEDS_DEBT")]
    error = refused(
        deals.RecordRecovery, recovery("rec-702-x", name, "1.00", "2025-09-29"), CODE.FAILED_PRECONDITION, ledger
    )
    assert reason_of(error) == "LATE_EVENT"

    second = retried(deals.RecordRecovery, recovery("rec-702-2", name, "9018373.44", "2025-12-01"))
    assert shares(second) == [
        0,
        Decimal("9012345.67"),
        Decimal("6027.77"),
        Decimal("2703882.19"),
        0,
        Decimal("1803674.68"),
        Decimal("1803674.68"),
        Decimal("4510816.57"),
    ]
    books[acct(BANK, "clearing")] = "6027.77"  # -6,308,463.48 + 9,018,373.44 - 2,703,882.19
    books[acct(BANK, "written-off-recoveries")] = "5004822.22"  # = the loan loss
    books[acct(BANK, f"insurance-receivable.{d}")] = "0"
    books[acct(POOL, "cash")] = "3000000.00"
    books[acct(POOL, "recovery-income")] = "3000000.00"  # = its compensation expense
    books[acct(INSURER, f"claims-payable.{d}")] = "0"
    books[acct(INSURER, "recovery-income")] = "2001205.55"  # = its claims expense
    books.check()
    events = deals.GetDeal(dpb.GetDealRequest(name=name)).deal.events
    assert [e.kind for e in events] == [
        "booked",
        "disbursed",
        "defaulted",
        "insurance_approved",
        "written_off",
        "recovered",
        "recovered",
    ]
    assert dict(events[-1].details)["pool_share"] == "2703882.19"
    assert dict(events[4].details)["loan_loss"] == "5004822.22"


# ---------------------------------------------------------------------- a claim the pool approves later


def test_a_recovery_waits_for_the_pools_decision_and_follows_the_approved_claim(
    stub: Stub, deals: Deals, ledger: Ledger
) -> None:
    """The pool's agreement approves nothing automatically. 200,000.00 at 3.6% from 1 July 2025 defaults on
    11 July: interest 200,000.00 × 3.6% × 10 / 360 = 200.00, loss 200,200.00, base 50% = 100,100.00 pending.

    A recovery is refused while the claim is pending (what the pool bore is not known). The pool approves:
    it pays its 60,000.00 and owes 40,100.00; the bank holds 100,100.00 of compensation. Recovery of
    50,000.00 on 1 August: pool 50,000.00 × 100,100.00 / 200,200.00 = 25,000.00, all set off against its
    claim (40,100.00 → 15,100.00). A funding of 20,000.00 pays the 15,100.00 left (pool cash 4,900.00).
    Write-off: 150,000.00 + 200.00 = 150,200.00 leaves the books, 100,100.00 − 25,000.00 = 75,100.00 of
    compensation offsets it, loan loss 75,100.00 (the bank bore 100,100.00 and got 25,000.00 back).
    """
    for party in (BANK, ARM, POOL):
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"party-{party}", party_id=party, display_name=party, kind=PARTIES[party])
        )
    sign_agreements(
        stub.channel,  # type: ignore[attr-defined]  # tests.conftest.LedgerStub
        branch=BANK,
        arm=ARM,
        pool=POOL,
        risk=apb.RiskSharingAgreement(base_rate="0.50", auto_approval_limit=cny("0.00")),
    )
    books = Books(stub, ledger, [BANK, ARM, POOL])
    d, name = "hz-2025-703", "deals/hz-2025-703"
    terms = deal_terms(
        principal="200000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(risk_pool=f"parties/{POOL}", base_rate="0.50"),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-703", deal_id=d, terms=terms))
    books.open(*deal_accounts(d, subsidy=False, insurer=False))
    books[acct(ARM, f"options.{d}")] = "2000"
    books[acct(ARM, f"options-granted.{d}")] = "2000"
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-703", risk_pool=f"parties/{POOL}", amount=cny("60000.00"), value_date=date("2025-07-01")
        )
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-703", name=name))
    default = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="default-703", name=name, value_date=date("2025-07-11"), reason="r")
    )
    assert yuan(default.compensation_pending) == Decimal("100100.00")
    books[acct(POOL, "cash")] = "60000.00"
    books[acct(POOL, "capital")] = "60000.00"
    books[acct(BANK, f"loans.{d}")] = "200000.00"
    books[acct(BANK, f"interest-receivable.{d}")] = "200.00"
    books[acct(BANK, "interest-income")] = "200.00"
    books[acct(BANK, "clearing")] = "-200000.00"
    books.check()

    error = refused(
        deals.RecordRecovery, recovery("rec-703-x", name, "50000.00", "2025-08-01"), CODE.FAILED_PRECONDITION, ledger
    )
    assert reason_of(error) == "CLAIM_PENDING"

    as_pool = (("x-toudai-principal", "pool-admin"),)
    claim = deals.ApproveClaim(dpb.ApproveClaimRequest(request_id="approve-703", name=f"claims/{d}"), metadata=as_pool)
    assert (yuan(claim.claim.paid), yuan(claim.claim.owed)) == (Decimal("60000.00"), Decimal("40100.00"))
    books[acct(BANK, "clearing")] = "-140000.00"
    books[acct(BANK, f"compensation-receivable.{d}")] = "40100.00"
    books[acct(BANK, f"compensation-received.{d}")] = "100100.00"
    books[acct(POOL, "cash")] = "0"
    books[acct(POOL, "compensation-expense")] = "100100.00"
    books[acct(POOL, f"claims-payable.{d}")] = "40100.00"
    books.check()

    got = retried(deals.RecordRecovery, recovery("rec-703-1", name, "50000.00", "2025-08-01"))
    assert shares(got) == [
        0,
        Decimal("50000.00"),
        0,
        Decimal("25000.00"),
        Decimal("25000.00"),
        0,
        0,
        Decimal("25000.00"),
    ]
    books.open(acct(BANK, "collection-costs"), acct(BANK, "written-off-recoveries"), acct(POOL, "recovery-income"))
    books[acct(BANK, "clearing")] = "-90000.00"
    books[acct(BANK, f"loans.{d}")] = "150000.00"
    books[acct(BANK, f"compensation-received.{d}")] = "75100.00"
    books[acct(BANK, f"compensation-receivable.{d}")] = "15100.00"
    books[acct(POOL, f"claims-payable.{d}")] = "15100.00"
    books[acct(POOL, "recovery-income")] = "25000.00"
    books.check()

    funded = deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-703-2", risk_pool=f"parties/{POOL}", amount=cny("20000.00"), value_date=date("2025-08-05")
        )
    )
    assert yuan(funded.claims_paid) == Decimal("15100.00")
    books[acct(POOL, "cash")] = "4900.00"
    books[acct(POOL, "capital")] = "80000.00"
    books[acct(POOL, f"claims-payable.{d}")] = "0"
    books[acct(BANK, f"compensation-receivable.{d}")] = "0"
    books[acct(BANK, "clearing")] = "-74900.00"
    books.check()

    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo-703", name=name, value_date=date("2025-08-31")))
    assert [yuan(m) for m in (written.written_off, written.compensation_applied, written.loan_loss)] == [
        Decimal("150200.00"),
        Decimal("75100.00"),
        Decimal("75100.00"),
    ]
    books[acct(BANK, f"loans.{d}")] = "0"
    books[acct(BANK, f"interest-receivable.{d}")] = "0"
    books[acct(BANK, f"compensation-received.{d}")] = "0"
    books[acct(BANK, "loan-loss")] = "75100.00"
    books.check()


# ---------------------------------------------------------------------- a default booked the old way


def test_a_deal_defaulted_with_its_cover_on_the_loan_is_recovered_after_write_off(
    stub: Stub, deals: Deals, ledger: Ledger
) -> None:
    """Deals defaulted before the cover had accounts of its own had it credited to `loans`. Simulated here
    by moving the cover there: 200,000.00 at 3.6% defaulting after 10 days (loss 200,200.00, first loan
    90% = 180,180.00 paid by the pool); an entry Dr compensation-received / Cr loans 180,180.00 leaves
    19,820.00 on the loan, as the old default did. A recovery before write-off has no cover to return the
    pool's share from: refused (COVER_ON_LOAN), nothing changes. After the write-off (19,820.00 + 200.00 =
    20,020.00, no cover left to apply) a recovery of 10,000.00 is shared as usual: the pool 10,000.00 ×
    180,180.00 / 200,200.00 = 9,000.00, the bank 1,000.00."""
    create_parties(stub, {k: v for k, v in PARTIES.items() if k in (BANK, ARM, POOL)})
    d, name = "hz-2025-704", "deals/hz-2025-704"
    terms = deal_terms(
        principal="200000.00",
        rate="0.036",
        start="2025-07-01",
        maturity="2026-07-01",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
        risk=dpb.RiskSharingTerms(
            risk_pool=f"parties/{POOL}", base_rate="0.50", first_loan=True, first_loan_rate="0.90"
        ),
    )
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id="book-704", deal_id=d, terms=terms))
    deals.FundRiskPool(
        dpb.FundRiskPoolRequest(
            request_id="fund-704", risk_pool=f"parties/{POOL}", amount=cny("1000000.00"), value_date=date("2025-07-01")
        )
    )
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id="disburse-704", name=name))
    deals.RecordDefault(dpb.RecordDefaultRequest(request_id="default-704", name=name, value_date=date("2025-07-11")))
    held, loan = acct(BANK, f"compensation-received.{d}"), acct(BANK, f"loans.{d}")
    post(stub, "old-style-default", "2025-07-11", held, loan, "180180.00")
    error = refused(
        deals.RecordRecovery, recovery("rec-704-x", name, "10000.00", "2025-07-20"), CODE.FAILED_PRECONDITION, ledger
    )
    assert reason_of(error) == "COVER_ON_LOAN"
    written = deals.WriteOff(dpb.WriteOffRequest(request_id="wo-704", name=name, value_date=date("2025-07-31")))
    assert (yuan(written.written_off), yuan(written.compensation_applied), yuan(written.loan_loss)) == (
        Decimal("20020.00"),
        0,
        Decimal("20020.00"),
    )
    got = deals.RecordRecovery(recovery("rec-704-1", name, "10000.00", "2025-08-15"))
    assert shares(got) == [0, Decimal("10000.00"), 0, Decimal("9000.00"), 0, 0, 0, Decimal("1000.00")]
    balances = stub.BatchGetBalances(
        pb.BatchGetBalancesRequest(accounts=[acct(POOL, "recovery-income"), acct(BANK, "written-off-recoveries")])
    ).balances
    assert [b.balance.value for b in balances] == ["9000.00", "1000.00"]
    for party in (BANK, ARM, POOL):
        assert all(v == 0 for v in ledger.trial_balance(party).values()), party
