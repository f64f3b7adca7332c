"""AccrueBranchInterest (month-end accrual of a whole branch, deals.branch_accrual) posts exactly what one
AccrueInterest call per loan posts, over real gRPC on SQLite and PostgreSQL.

The portfolio, twice: loans a-p and a-n at branch bank-nb accrued one AccrueInterest call per loan, and
b-p and b-n at branch bank-hz by AccrueBranchInterest calls (bank-nb signed the same agreements), each loan
1,000,000.00 at 3.60 % ACT/360 from 15 Jan 2025 to 15 Jan 2026, interest monthly on the 15th,
unadjusted, bullet: 100.00 of interest a day, of which the subsidy fund pays 25 % (25.00) and the
borrower 75.00. Both loans pay the first period on 15 Feb (31 days: 3,100.00, the borrower's 2,325.00);
loan P also pays the second on 15 Mar (28 days: the borrower's 2,100.00), loan N pays nothing more.
A fifth loan, booked and never drawn, is not accrued.

Month ends (the default policy: interest is income while at most 90 days past due):
- 31 Mar: P 17 days (15-31 Mar) = 1,700.00 (subsidy 425.00); N 45 days (15 Feb-31 Mar) = 4,500.00
  (subsidy 1,125.00). The branch call: 6,200.00, subsidy 1,550.00.
- 30 Jun: P 91 days (1 Apr-30 Jun), 76 days past due on 30 Jun = 9,100.00 (subsidy 2,275.00). N is 91
  days past due on 14 Jun (15 Mar + 91 days): 74 days on the books (1 Apr-13 Jun) = 7,400.00 (subsidy
  1,850.00), then non-accrual: its unpaid interest (75.00 × 119 days = 8,925.00) leaves the books and its
  subsidy receivable (25.00 × 119 = 2,975.00) is reversed; 14-30 Jun (17 days) the borrower's 1,275.00 is
  off balance sheet. The branch call: 16,500.00 recognised, subsidy 4,125.00, 1,275.00 off balance,
  one loan entering non-accrual (the per-deal step, inside the same unit of work).
- 31 Jul: P is 91 days past due on 15 Jul (15 Apr + 91 days): 14 days (1-14 Jul) = 1,400.00 (subsidy
  350.00), then 17 days off balance = 1,275.00; N 31 days off balance = 2,325.00. The branch call:
  1,400.00, subsidy 350.00, 3,600.00 off balance, one loan entering non-accrual.
Each loan's journal entries (dates, accounts, amounts, ledger request ids, metadata) and events are then
the same for a-x and b-x, the deal and branch ids aside; a second branch call with the same request id
posts nothing and answers the same.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import grpc

from tests.agreements_world import sign_agreements
from tests.integration.deals_world import (
    ARM,
    BANK,
    FUND,
    INSURER,
    POOL,
    Deals,
    Stub,
    cny,
    create_parties,
    date,
    deal_terms,
    yuan,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb

MONTH_ENDS = ("2025-03-31", "2025-06-30", "2025-07-31")
#: (recognised, subsidy, off balance, loans entering non-accrual) of each branch call, by hand (docstring).
EXPECTED = {
    "2025-03-31": ("6200.00", "1550.00", "0.00", 0),
    "2025-06-30": ("16500.00", "4125.00", "1275.00", 1),
    "2025-07-31": ("1400.00", "350.00", "3600.00", 1),
}


OTHER = "bank-nb"  # the per-deal twin's branch


def _book(deals: Deals, deal: str, branch: str = BANK) -> None:
    terms = deal_terms(
        principal="1000000.00",
        rate="0.036",
        start="2025-01-15",
        maturity="2026-01-15",
        subsidy=dpb.SubsidyTerms(type=dpb.SUBSIDY_TYPE_INTEREST_SHARE, subsidy_fund=f"parties/{FUND}", share="0.25"),
    )
    terms.loan.business_day = dpb.BUSINESS_DAY_CONVENTION_UNADJUSTED
    terms.branch = f"parties/{branch}"
    deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id=f"book-{deal}", deal_id=deal, terms=terms))


def _history(deals: Deals, deal: str, paid: tuple[tuple[str, str], ...]) -> None:
    deals.DisburseLoan(dpb.DisburseLoanRequest(request_id=f"out-{deal}", name=f"deals/{deal}"))
    for day, amount in paid:
        deals.RecordRepayment(
            dpb.RecordRepaymentRequest(
                request_id=f"pay-{deal}-{day}", name=f"deals/{deal}", amount=cny(amount), value_date=date(day)
            )
        )


def _entries(stub: Stub, deal: str) -> list[tuple[Any, ...]]:
    """The deal's journal entries with the deal id replaced by `X` and bank-nb by bank-hz, in the order of their
    ledger request ids."""
    found = []
    token = ""
    while True:
        page = stub.ListTransactions(
            pb.ListTransactionsRequest(metadata_key="toudai.deal", metadata_value=deal, page_token=token)
        )
        found.extend(page.transactions)
        token = page.next_page_token
        if not token:
            break
    entries = []

    def plain(text: str) -> str:
        # The option grant's commodity is OPT-{DEAL}.
        return text.replace(deal, "X").replace(deal.upper(), "X").replace(f"parties/{OTHER}/", f"parties/{BANK}/")

    for t in found:
        # The client's request id differs by construction (acc-... against close-...#deal).
        meta = {k: plain(v) for k, v in t.metadata.items() if k != "toudai.request_id"}
        postings = sorted((plain(p.account), p.side, plain(p.amount.commodity), p.amount.value) for p in t.postings)
        day = (t.value_date.year, t.value_date.month, t.value_date.day)
        entries.append((plain(t.request_id), day, plain(t.description), meta, postings))
    return sorted(entries, key=lambda e: e[0])


def test_branch_accrual_posts_what_per_deal_accruals_post(stub: Stub, deals: Deals, channel: grpc.Channel) -> None:
    create_parties(stub)
    stub.CreateParty(
        pb.CreatePartyRequest(
            request_id=f"party-{OTHER}", party_id=OTHER, display_name=OTHER, kind=pb.PARTY_KIND_BANK_BRANCH
        )
    )
    sign_agreements(channel, branch=OTHER, arm=ARM, pool=POOL, fund=FUND, insurer=INSURER)
    paying = (("2025-02-15", "2325.00"), ("2025-03-15", "2100.00"))
    stopping = (("2025-02-15", "2325.00"),)
    for deal, paid, branch in (
        ("a-p", paying, OTHER),
        ("a-n", stopping, OTHER),
        ("b-p", paying, BANK),
        ("b-n", stopping, BANK),
    ):
        _book(deals, deal, branch)
        _history(deals, deal, paid)
    _book(deals, "b-undrawn")
    for through in MONTH_ENDS:
        for deal in ("a-p", "a-n"):
            deals.AccrueInterest(
                dpb.AccrueInterestRequest(
                    request_id=f"acc-{deal}-{through}", name=f"deals/{deal}", through_date=date(through)
                )
            )
        request = dpb.AccrueBranchInterestRequest(
            request_id=f"close-{through}", parent=f"parties/{BANK}", through_date=date(through)
        )
        done = deals.AccrueBranchInterest(request)
        recognised, subsidy, off_balance, entering = EXPECTED[through]
        assert done.deals_accrued == 2
        assert done.deals_accrued_later == 0
        assert done.deals_entering_non_accrual == entering
        assert yuan(done.accrued) == Decimal(recognised)
        assert yuan(done.subsidy) == Decimal(subsidy)
        assert yuan(done.off_balance_interest) == Decimal(off_balance)
        assert not done.replayed
        again = deals.AccrueBranchInterest(request)
        assert again.replayed
        assert (yuan(again.accrued), yuan(again.subsidy), yuan(again.off_balance_interest)) == (
            Decimal(recognised),
            Decimal(subsidy),
            Decimal(off_balance),
        )
    for twin in ("p", "n"):
        per_deal, batch = _entries(stub, f"a-{twin}"), _entries(stub, f"b-{twin}")
        assert per_deal == batch
        assert len(per_deal) > 3
    assert [e[3].get("toudai.step") for e in _entries(stub, "b-undrawn")] == ["booked"]  # the option grant only
    # Each loan's accrual state and events as the per-deal path left them.
    for twin in ("p", "n"):
        a = deals.GetDeal(dpb.GetDealRequest(name=f"deals/a-{twin}")).deal
        b = deals.GetDeal(dpb.GetDealRequest(name=f"deals/b-{twin}")).deal
        assert (yuan(a.interest_receivable), yuan(a.principal_outstanding)) == (
            yuan(b.interest_receivable),
            yuan(b.principal_outstanding),
        )
        assert [(e.kind, e.value_date, dict(e.details)) for e in a.events] == [
            (e.kind, e.value_date, dict(e.details)) for e in b.events
        ]


def test_branch_accrual_refuses_bad_input_and_another_date_under_the_same_id(
    stub: Stub, deals: Deals, channel: grpc.Channel
) -> None:
    create_parties(stub)
    for request, field in (
        (dpb.AccrueBranchInterestRequest(request_id="x", through_date=date("2025-03-31")), "parent"),
        (dpb.AccrueBranchInterestRequest(request_id="x", parent=f"parties/{BANK}"), "through_date"),
        (dpb.AccrueBranchInterestRequest(parent=f"parties/{BANK}", through_date=date("2025-03-31")), "request_id"),
        (dpb.AccrueBranchInterestRequest(request_id="x", parent="banks/1", through_date=date("2025-03-31")), "parent"),
    ):
        try:
            deals.AccrueBranchInterest(request)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
            assert field in (exc.details() or ""), exc.details()
        else:  # pragma: no cover - a refusal is expected
            raise AssertionError(f"{request} was accepted")
    try:
        deals.AccrueBranchInterest(
            dpb.AccrueBranchInterestRequest(request_id="x", parent="parties/nobody", through_date=date("2025-03-31"))
        )
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.NOT_FOUND
    else:  # pragma: no cover
        raise AssertionError("an unknown branch was accepted")
    _book(deals, "r-1")
    _history(deals, "r-1", ())
    first = dpb.AccrueBranchInterestRequest(
        request_id="close", parent=f"parties/{BANK}", through_date=date("2025-01-31")
    )
    assert yuan(deals.AccrueBranchInterest(first).accrued) == Decimal("1700.00")  # 15-31 Jan, 17 days
    other = dpb.AccrueBranchInterestRequest(
        request_id="close", parent=f"parties/{BANK}", through_date=date("2025-02-28")
    )
    try:
        deals.AccrueBranchInterest(other)
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.ALREADY_EXISTS
    else:  # pragma: no cover
        raise AssertionError("the same request id with another date was accepted")


def test_the_client_accrues_a_branch(stub: Stub, deals: Deals, server_address: str) -> None:
    """The SDK's `DealClient.accrue_branch` (and so `toudai deal accrue-branch`): one loan drawn on 15 Jan,
    accrued through 31 Jan: 17 days × 100.00 = 1,700.00, of which the subsidy fund's 25 % = 425.00."""
    import datetime as dt

    from clients.client import ToudaiClient
    from clients.deal_client import DealClient

    create_parties(stub)
    _book(deals, "c-1")
    _history(deals, "c-1", ())
    with ToudaiClient(server_address, timeout=30.0) as client:
        done = DealClient(client).accrue_branch(BANK, dt.date(2025, 1, 31), request_id="cli-close")
        again = DealClient(client).accrue_branch(f"parties/{BANK}", dt.date(2025, 1, 31), request_id="cli-close")
    assert (done.deals_accrued, done.accrued, done.subsidy, done.replayed) == (
        1,
        Decimal("1700.00"),
        Decimal("425.00"),
        False,
    )
    assert (again.accrued, again.replayed) == (Decimal("1700.00"), True)
