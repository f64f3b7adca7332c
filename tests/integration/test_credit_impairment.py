"""Impairment runs over real gRPC, on SQLite and PostgreSQL (issue 17, part): expected credit loss per
deal, one netted posting per run in the branch's book, and a record that reproduces it.

Hand figures with the "2026-1" tables of docs/credit.md and the worked example's risk sharing (the loan is
80 % unsecured, over the 70 % threshold, so the pool covers 70 %; the insurer 20 %; borrower stage growth:
LGD 60 %, twelve-month PD 2.5 %, lifetime PD 10 %). Each loan is 1,000,000.00 at 3.60 %, interest monthly
on the 15th (unadjusted), nothing accrued on the books, so EAD = 1,000,000.00; the loss LGD × EAD is
600,000.00, of which the pool pays 420,000.00 and the insurer 120,000.00: the bank bears 60,000.00.
- `current` (disbursed 1 Apr, first payment 1 May): 0 days past due on 20 Apr, stage 1: 2.5 % = 1,500.00.
- `late` (disbursed 15 Jan, never paid): 64 days past due on 20 Apr (15 Feb → 20 Apr), special mention,
  stage 2: 10 % = 6,000.00.
- `undrawn` (booked, not disbursed): the commitment of 1,000,000.00 in full, stage 1: 1,500.00.
Allowance 9,000.00, posted as one transaction: the three allowances credited, 信用减值损失 debited 9,000.00.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import grpc
import pytest

from ledger.store import Ledger
from tests.integration.authz_world import reason_of
from tests.integration.deals_world import (
    BANK,
    Deals,
    Stub,
    acct,
    approve_insurance,
    cny,
    create_parties,
    date,
    deal_terms,
    refused,
    yuan,
)
from toudai.v1 import credit_pb2 as cpb
from toudai.v1 import credit_pb2_grpc
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb


@pytest.fixture
def credit(channel: grpc.Channel) -> Any:
    return credit_pb2_grpc.CreditServiceStub(channel)


def _deal(deals: Deals, deal_id: str, start: str, *, disburse: bool = True) -> None:
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start=start,
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_NONE),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id=f"b-{deal_id}", deal_id=deal_id, terms=terms))
    if disburse:
        deals.DisburseLoan(dpb.DisburseLoanRequest(request_id=f"d-{deal_id}", name=f"deals/{deal_id}"))


def _hand_ecl(line: Any) -> Decimal:
    """The docs' formula on the recorded inputs, written out here: PD × (round(LGD × EAD) − cover)."""
    fen = Decimal("0.01")
    ead = yuan(line.exposure_at_default)
    loss = (Decimal(line.loss_given_default) * ead).quantize(fen, ROUND_HALF_UP)
    return (Decimal(line.probability_of_default) * max(loss - yuan(line.cover), Decimal(0))).quantize(
        fen, ROUND_HALF_UP
    )


def test_a_run_posts_the_allowance_and_reproduces(stub: Stub, deals: Deals, credit: Any, ledger: Ledger) -> None:
    create_parties(stub)
    _deal(deals, "current", "2025-04-01")
    _deal(deals, "late", "2025-01-15")
    _deal(deals, "undrawn", "2025-03-01", disburse=False)
    request = cpb.RunImpairmentRequest(request_id="imp-apr", branch=f"parties/{BANK}", as_of_date=date("2025-04-20"))
    run = credit.RunImpairment(request).run
    lines = {line.deal: line for line in run.lines}
    assert {d: (line.stage, yuan(line.expected_credit_loss)) for d, line in lines.items()} == {
        "deals/current": (1, Decimal("1500.00")),
        "deals/late": (2, Decimal("6000.00")),
        "deals/undrawn": (1, Decimal("1500.00")),
    }
    assert (lines["deals/late"].days_past_due, lines["deals/late"].category) == (64, cpb.LOAN_CATEGORY_SPECIAL_MENTION)
    assert all(yuan(line.cover) == Decimal("540000.00") for line in run.lines)
    assert (yuan(run.allowance), yuan(run.change), run.parameters) == (Decimal("9000.00"), Decimal("9000.00"), "2026-1")
    balance = stub.GetBalance(pb.GetBalanceRequest(account=acct(BANK, "credit-impairment-loss"))).balance.balance
    assert balance.value == "9000.00"
    allowance = stub.GetBalance(pb.GetBalanceRequest(account=acct(BANK, "loan-loss-allowance.late"))).balance
    assert allowance.balance.value == "-6000.00"  # a contra-asset: its balance is on the credit side
    posted = stub.GetTransaction(pb.GetTransactionRequest(name=run.transaction)).transaction
    assert len(posted.postings) == 4 and posted.value_date == date("2025-04-20")
    # The record gives back every input, and the formula on them gives back every figure.
    recorded = credit.GetImpairmentRun(cpb.GetImpairmentRunRequest(name=run.name)).run
    assert [(line.deal, line.expected_credit_loss) for line in recorded.lines] == [
        (line.deal, line.expected_credit_loss) for line in run.lines
    ]
    assert all(_hand_ecl(line) == yuan(line.expected_credit_loss) for line in recorded.lines)
    # Idempotent by request id; an earlier date than the last run is late; nothing changed: nothing posted.
    assert credit.RunImpairment(request).run == run
    earlier = cpb.RunImpairmentRequest(request_id="imp-mar", branch=f"parties/{BANK}", as_of_date=date("2025-03-31"))
    assert (
        reason_of(refused(credit.RunImpairment, earlier, grpc.StatusCode.FAILED_PRECONDITION, ledger)) == "LATE_EVENT"
    )
    again = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-apr-2", branch=f"parties/{BANK}", as_of_date=date("2025-04-20"))
    ).run
    assert (yuan(again.change), again.transaction) == (0, "")
    # Every party's books still balance.
    for party in ("bank-hz",):
        assert all(v == 0 for v in ledger.trial_balance(party).values())


def test_after_a_default_the_measured_cover_counts(
    stub: Stub, deals: Deals, credit: Any, channel: grpc.Channel
) -> None:
    """`late` defaults on 25 Apr 2025: 100 days of interest since 15 Jan at 100.00 a day = 10,000.00, so the
    loss is 1,010,000.00; the pool's 70 % = 707,000.00 (owed: its cash is empty) and the insurer's 20 % =
    202,000.00 are the measured cover, 909,000.00. The borrower still owes 1,010,000.00 (EAD); stage 3,
    PD 1: 60 % × (1,010,000.00 − 909,000.00) = 60,600.00, up 54,600.00 from the 6,000.00 of 20 Apr."""
    create_parties(stub)
    _deal(deals, "late", "2025-01-15")
    first = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-1", branch=f"parties/{BANK}", as_of_date=date("2025-04-20"))
    ).run
    assert [yuan(line.expected_credit_loss) for line in first.lines] == [Decimal("6000.00")]
    default = deals.RecordDefault(
        dpb.RecordDefaultRequest(request_id="x", name="deals/late", value_date=date("2025-04-25"), reason="gone")
    )
    assert yuan(default.loss) == Decimal("1010000.00")
    run = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-2", branch=f"parties/{BANK}", as_of_date=date("2025-04-30"))
    ).run
    (line,) = run.lines
    assert (line.stage, line.cover_measured, yuan(line.exposure_at_default), yuan(line.cover)) == (
        3,
        True,
        Decimal("1010000.00"),
        Decimal("909000.00"),
    )
    assert (yuan(line.expected_credit_loss), yuan(line.change)) == (Decimal("60600.00"), Decimal("54600.00"))
    # A recovery of 101,000.00 on 10 May (all principal) returns the pool 101,000.00 × 707,000.00 /
    # 1,010,000.00 = 70,700.00 and the insurer 20,200.00: they now bear 909,000.00 − 90,900.00 = 818,100.00
    # of an exposure of 909,000.00, so ECL = 60 % × (909,000.00 − 818,100.00) = 54,540.00, down 6,060.00.
    approve_insurance(channel, "late")  # what the insurer bears is known once it approves its claim
    deals.RecordRecovery(
        dpb.RecordRecoveryRequest(
            request_id="rec", name="deals/late", amount=cny("101000.00"), value_date=date("2025-05-10")
        )
    )
    after = credit.RunImpairment(
        cpb.RunImpairmentRequest(request_id="imp-3", branch=f"parties/{BANK}", as_of_date=date("2025-05-31"))
    ).run
    (line,) = after.lines
    assert (yuan(line.exposure_at_default), yuan(line.cover)) == (Decimal("909000.00"), Decimal("818100.00"))
    assert (yuan(line.expected_credit_loss), yuan(line.change)) == (Decimal("54540.00"), Decimal("-6060.00"))


def test_a_branch_of_more_than_255_changed_allowances_posts_in_parts(
    stub: Stub, deals: Deals, credit: Any, ledger: Ledger
) -> None:
    """The ledger takes at most 256 postings a transaction: a run over 260 deals posts two transactions,
    255 deals and the netted expense in the first, 5 and theirs in the second (found at 2,000 loans a
    branch by bench.month_end, where one transaction of 2,001 postings was refused)."""
    create_parties(stub)
    for i in range(260):
        _deal(deals, f"d{i:03d}", "2025-03-01", disburse=False)
    request = cpb.RunImpairmentRequest(request_id="imp-big", branch=f"parties/{BANK}", as_of_date=date("2025-04-20"))
    run = credit.RunImpairment(request).run
    # Each booked, undrawn loan of 1,000,000.00 is stage 1 at 1,500.00 (as "undrawn" above): 260 × 1,500.00.
    assert len(run.lines) == 260 and all(yuan(line.expected_credit_loss) == Decimal("1500.00") for line in run.lines)
    assert (yuan(run.allowance), yuan(run.change)) == (Decimal("390000.00"), Decimal("390000.00"))
    assert len(run.transactions) == 2 and run.transaction == run.transactions[0]
    first, second = (stub.GetTransaction(pb.GetTransactionRequest(name=n)).transaction for n in run.transactions)
    assert (len(first.postings), len(second.postings)) == (256, 6)
    assert (first.request_id, second.request_id) == (
        f"impairment-{run.name.split('/')[1]}",
        f"impairment-{run.name.split('/')[1]}-2",
    )
    expense = stub.GetBalance(pb.GetBalanceRequest(account=acct(BANK, "credit-impairment-loss"))).balance.balance
    assert expense.value == "390000.00"  # 255 × 1,500.00 + 5 × 1,500.00
    # Read back and replayed, the run names the same two transactions.
    assert list(credit.GetImpairmentRun(cpb.GetImpairmentRunRequest(name=run.name)).run.transactions) == list(
        run.transactions
    )
    assert credit.RunImpairment(request).run == run
    assert all(v == 0 for v in ledger.trial_balance(BANK).values())
