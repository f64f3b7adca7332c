"""Order does not change the books (issue 16): a portfolio's dated events submitted in any order give, for
whatever the late-event policy accepts, the same balances as of every date as the same events in order.

Over real gRPC on SQLite and PostgreSQL. Each example draws two deals' dated steps (accruals through a
date, repayments) and plain back-dated transfers into and out of a must-not-go-negative reserve, then:
1. submits all of them in a random order to one set of deals and accounts; every refusal must be
   FAILED_PRECONDITION with reason LATE_EVENT (a deal step dated before what the deal has booked) or
   INSUFFICIENT_FUNDS (a transfer that would leave the reserve negative as of some date);
2. submits exactly the accepted ones to a fresh set, in order: by value date, each deal's steps in the
   order they were accepted, money into the reserve before money out of it on the same day — every one
   must be accepted;
3. compares every account of both sets as of every day from before the first event to after the last,
   and checks the reserve never shows a negative balance as of any day.
Nothing here computes an expected figure with the code under test: the in-order run is the oracle.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.authz_world import reason_of
from tests.integration.deals_world import (
    BANK,
    Deals,
    Stub,
    acct,
    cny,
    create_parties,
    date,
    deal_terms,
)
from toudai.v1 import deals_pb2 as dpb
from toudai.v1 import ledger_pb2 as pb

pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")

START = dt.date(2025, 3, 3)  # the deals' disbursement; events fall on the 120 days after it
DAYS = 120
RUN = itertools.count()


@dataclass(frozen=True)
class Event:
    """One dated request: a deal step (deal 0 or 1) or a reserve transfer (deal None)."""

    kind: str  # accrue | repay | fund | spend
    deal: int | None
    day: dt.date
    fen: int = 0

    def describe(self) -> str:
        return f"{self.kind}({self.deal}, {self.day}, {self.fen})"


def deal_events(deal: int) -> st.SearchStrategy[list[Event]]:
    step = st.builds(
        Event,
        kind=st.sampled_from(["accrue", "repay"]),
        deal=st.just(deal),
        day=st.integers(1, DAYS).map(lambda n: START + dt.timedelta(days=n)),
        fen=st.integers(1, 2_000_000),  # up to 20,000.00: never more than is owed on 1,000,000.00
    )
    return st.lists(step, min_size=1, max_size=5)


transfer = st.builds(
    Event,
    kind=st.sampled_from(["fund", "spend"]),
    deal=st.none(),
    day=st.integers(0, DAYS).map(lambda n: START + dt.timedelta(days=n)),
    fen=st.integers(1, 50_000),
)

plans = st.tuples(deal_events(0), deal_events(1), st.lists(transfer, max_size=6)).flatmap(
    lambda parts: st.permutations([*parts[0], *parts[1], *parts[2]])
)


class Portfolio:
    """One set of two deals and a reserve, named uniquely, and the requests that act on them."""

    def __init__(self, stub: Stub, deals: Deals, tag: str) -> None:
        self.stub, self.deals, self.tag = stub, deals, tag
        self.names = [f"deals/{tag}-{k}" for k in (0, 1)]
        self.reserve, self.source = f"reserve-{tag}", f"source-{tag}"
        self.requests = itertools.count()
        for k in (0, 1):
            terms = deal_terms(principal="1000000.00", start=START.isoformat(), maturity="2026-03-03")
            deal_id = f"{tag}-{k}"
            deals.BookLinkedDeal(dpb.BookLinkedDealRequest(request_id=f"b-{deal_id}", deal_id=deal_id, terms=terms))
            deals.DisburseLoan(dpb.DisburseLoanRequest(request_id=f"d-{deal_id}", name=self.names[k]))
        for code, guarded, kind in (
            (self.reserve, True, pb.ACCOUNT_TYPE_ASSET),
            (self.source, False, pb.ACCOUNT_TYPE_EQUITY),
        ):
            stub.CreateAccount(
                pb.CreateAccountRequest(
                    request_id=f"acct-{code}",
                    party=f"parties/{BANK}",
                    code=code,
                    display_name=code,
                    type=kind,
                    commodity="CNY",
                    must_not_go_negative=guarded,
                )
            )

    def submit(self, event: Event) -> str:
        """Send one event; "" if accepted, else the refusal's reason."""
        request_id = f"{self.tag}-{next(self.requests)}"
        try:
            if event.kind == "accrue":
                self.deals.AccrueInterest(
                    dpb.AccrueInterestRequest(
                        request_id=request_id,
                        name=self.names[event.deal or 0],
                        through_date=date(event.day.isoformat()),
                    )
                )
            elif event.kind == "repay":
                self.deals.RecordRepayment(
                    dpb.RecordRepaymentRequest(
                        request_id=request_id,
                        name=self.names[event.deal or 0],
                        amount=cny(f"{event.fen // 100}.{event.fen % 100:02d}"),
                        value_date=date(event.day.isoformat()),
                    )
                )
            else:
                debit, credit = (self.reserve, self.source) if event.kind == "fund" else (self.source, self.reserve)
                amount = pb.Amount(commodity="CNY", value=f"{event.fen // 100}.{event.fen % 100:02d}")
                self.stub.PostTransactions(
                    pb.PostTransactionsRequest(
                        transactions=[
                            pb.TransactionInput(
                                request_id=request_id,
                                value_date=date(event.day.isoformat()),
                                description=event.kind,
                                postings=[
                                    pb.Posting(account=acct(BANK, debit), side=pb.SIDE_DEBIT, amount=amount),
                                    pb.Posting(account=acct(BANK, credit), side=pb.SIDE_CREDIT, amount=amount),
                                ],
                            )
                        ]
                    )
                )
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, (event.describe(), error.details())
            return reason_of(error)
        return ""

    def accounts(self) -> list[str]:
        per_deal = [
            acct(BANK, f"{code}.{name.removeprefix('deals/')}")
            for name in self.names
            for code in ("loans", "interest-receivable", "subsidy-receivable")
        ]
        return [*per_deal, acct(BANK, self.reserve), acct(BANK, self.source)]

    def as_of(self, day: dt.date) -> list[str]:
        """Every account's balance as of `day`, in a fixed order (values only: names differ by tag)."""
        answer = self.stub.BatchGetBalances(
            pb.BatchGetBalancesRequest(accounts=self.accounts(), as_of_date=date(day.isoformat()))
        )
        return [b.balance.value for b in answer.balances]


def in_order(accepted: list[Event]) -> list[Event]:
    """The accepted events by value date; on one day, money comes into the reserve before it leaves and
    the rest keep the order they were accepted in."""
    rank = {"fund": 0, "accrue": 1, "repay": 1, "spend": 2}
    order = sorted(range(len(accepted)), key=lambda i: (accepted[i].day, rank[accepted[i].kind], i))
    return [accepted[i] for i in order]


def test_any_order_the_policy_accepts_gives_the_in_order_books(stub: Stub, deals: Deals) -> None:
    create_parties(stub)
    run = next(RUN)

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(plan=plans)
    def check(plan: list[Event]) -> None:
        n = next(RUN)
        shuffled = Portfolio(stub, deals, f"s{run}x{n}")
        accepted = []
        for event in plan:
            reason = shuffled.submit(event)
            if reason:
                allowed = "INSUFFICIENT_FUNDS" if event.deal is None else "LATE_EVENT"
                assert reason == allowed, (event.describe(), reason)
            else:
                accepted.append(event)
        ordered = Portfolio(stub, deals, f"o{run}x{n}")
        for event in in_order(accepted):
            assert ordered.submit(event) == "", f"in order, {event.describe()} was refused"
        for offset in range(-1, DAYS + 2):
            day = START + dt.timedelta(days=offset)
            seen = shuffled.as_of(day)
            assert seen == ordered.as_of(day), f"as of {day}"
            assert not seen[-2].startswith("-"), f"the reserve is {seen[-2]} as of {day}"

    check()
