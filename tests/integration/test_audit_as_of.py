"""The audit figures as of any date agree with the ledger's as-of balances, with back-dated postings.

"As of D" means at the end of value date D (docs/audit.md, "As of a date"): what counts is each
transaction's value date, never the order it was posted in nor when it was recorded. A small portfolio
of two bank branches and a risk pool is posted out of value-date order (back-dated transactions after
later-dated ones, several on one day, a back-dated error reversed on a later date, another reversed on
its own date) through a real gRPC server; then, for dates before the first value date, on each value
date, between them and after the last, three readings are compared account by account with a table
worked out by hand:

- the ledger's as-of balances: GetBalance and BatchGetBalances with as_of_date;
- the trial balance: AuditService.TrialBalance with as_of_date (what `toudai audit trial-balance
  --as-of` prints);
- the HTML report's figures: `clients.audit_commands.report_data`, the function `toudai audit report
  --as-of` renders (its trial balance, its loan exposures by branch and the risk pool's cash over time,
  whose last point is the as-of balance), and the rendered HTML's data points of that chart.

Only plain transfers between accounts that may go negative (no must-not-go-negative account): the
back-dated postings make some balances dip below zero by value date, which the report must show.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import grpc
import pytest

from audit.report import render_html
from clients.audit_commands import report_data
from clients.client import ToudaiClient
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import audit_pb2_grpc, ledger_pb2_grpc
from toudai.v1 import ledger_pb2 as pb

PARTIES = [
    ("bank-a", "Branch A", pb.PARTY_KIND_BANK_BRANCH),
    ("bank-b", "Branch B", pb.PARTY_KIND_BANK_BRANCH),
    ("pool", "Risk pool", pb.PARTY_KIND_RISK_POOL),
]
ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = (
    pb.ACCOUNT_TYPE_ASSET,
    pb.ACCOUNT_TYPE_LIABILITY,
    pb.ACCOUNT_TYPE_EQUITY,
    pb.ACCOUNT_TYPE_INCOME,
    pb.ACCOUNT_TYPE_EXPENSE,
)
ACCOUNTS = {  # none of them must-not-go-negative
    "bank-a/cash": ASSET,
    "bank-a/loans.a1": ASSET,
    "bank-a/equity": EQUITY,
    "bank-a/due-from-pool": ASSET,
    "bank-a/recoveries": INCOME,
    "bank-b/cash": ASSET,
    "bank-b/loans.b1": ASSET,
    "bank-b/equity": EQUITY,
    "pool/cash": ASSET,
    "pool/fund": EQUITY,
    "pool/due-to-bank-a": LIABILITY,
    "pool/compensation": EXPENSE,
}
DEBIT_NORMAL = {ASSET, EXPENSE}

D1 = dt.date(2026, 3, 3)
D2 = dt.date(2026, 3, 10)
D3 = dt.date(2026, 3, 20)
D4 = dt.date(2026, 3, 31)

# The dates compared: before the first value date, each value date, between them, after the last.
DATES = [
    dt.date(2026, 3, 2),  # before D1
    D1,
    dt.date(2026, 3, 5),  # between D1 and D2
    D2,
    D3,
    dt.date(2026, 3, 25),  # between D3 and D4
    D4,
    dt.date(2026, 4, 30),  # after D4
]

# The transactions in the order they are posted (P1 first), each with its value date:
#
#   P1  D3  bank-a capital:       Dr bank-a/cash 1000.00            Cr bank-a/equity 1000.00
#   P2  D3  pool funded:          Dr pool/cash 500.00               Cr pool/fund 500.00
#   P3  D2  loan a1 (back-dated before P1):
#                                 Dr bank-a/loans.a1 300.00         Cr bank-a/cash 300.00
#   P4  D4  bank-b capital:       Dr bank-b/cash 800.00             Cr bank-b/equity 800.00
#   P5  D1  loan b1 (back-dated before everything):
#                                 Dr bank-b/loans.b1 200.00         Cr bank-b/cash 200.00
#   P6  D2  claim (cross-party):  Dr bank-a/due-from-pool 150.00    Cr bank-a/recoveries 150.00
#                                 Dr pool/compensation 150.00       Cr pool/due-to-bank-a 150.00
#   P7  D2  part settled, same day as P3 and P6:
#                                 Dr pool/due-to-bank-a 100.00      Cr pool/cash 100.00
#                                 Dr bank-a/cash 100.00             Cr bank-a/due-from-pool 100.00
#   P8  D1  loan a1 booked in error (back-dated):
#                                 Dr bank-a/loans.a1 50.00          Cr bank-a/cash 50.00
#   P9  D3  reversal of P8, dated D3: P8 stands from D1 to the day before D3
#   P10 D2  loan b1 booked in error: Dr bank-b/loans.b1 75.00       Cr bank-b/cash 75.00
#   P11 D2  reversal of P10 on its own value date (the default): nothing at any date
#   P12 D4  loan a1 increased:    Dr bank-a/loans.a1 100.00         Cr bank-a/cash 100.00
#   P13 D1  pool top-up, back-dated, in the same request as P12, after it:
#                                 Dr pool/cash 10.00                Cr pool/fund 10.00

# Balances on each account's normal side (debit for assets and expenses, credit for equity, liabilities
# and income; negative on the other side), as GetBalance returns them, at the end of each date of DATES:
#
#   bank-a/cash        D1: -50 (P8)                  D2: -50 - 300 (P3) + 100 (P7) = -250
#                      D3: -250 + 1000 (P1) + 50 (P9) = 800          D4: 800 - 100 (P12) = 700
#   bank-a/loans.a1    D1: 50 (P8)   D2: 50 + 300 (P3) = 350   D3: 350 - 50 (P9) = 300   D4: 300 + 100 (P12) = 400
#   bank-a/equity      D3: 1000 (P1)
#   bank-a/due-from-pool  D2: 150 (P6) - 100 (P7) = 50
#   bank-a/recoveries  D2: 150 (P6)
#   bank-b/cash        D1: -200 (P5)   D2: -200 - 75 (P10) + 75 (P11) = -200   D4: -200 + 800 (P4) = 600
#   bank-b/loans.b1    D1: 200 (P5)    D2: 200 + 75 (P10) - 75 (P11) = 200
#   bank-b/equity      D4: 800 (P4)
#   pool/cash          D1: 10 (P13)   D2: 10 - 100 (P7) = -90   D3: -90 + 500 (P2) = 410
#   pool/fund          D1: 10 (P13)   D3: 10 + 500 (P2) = 510
#   pool/due-to-bank-a D2: 150 (P6) - 100 (P7) = 50
#   pool/compensation  D2: 150 (P6)
#
# Each balance holds from its date until the next change. Every party balances on every date, e.g.
# bank-a on D2: debits loans.a1 350 + due-from-pool 50 = 400; credits cash 250 + recoveries 150 = 400;
# the pool on D2: debits compensation 150; credits cash 90 + fund 10 + due-to-bank-a 50 = 150.
#
#                       03-02     D1   03-05      D2      D3   03-25      D4   04-30
EXPECTED = {
    "bank-a/cash": ("0", "-50", "-50", "-250", "800", "800", "700", "700"),
    "bank-a/loans.a1": ("0", "50", "50", "350", "300", "300", "400", "400"),
    "bank-a/equity": ("0", "0", "0", "0", "1000", "1000", "1000", "1000"),
    "bank-a/due-from-pool": ("0", "0", "0", "50", "50", "50", "50", "50"),
    "bank-a/recoveries": ("0", "0", "0", "150", "150", "150", "150", "150"),
    "bank-b/cash": ("0", "-200", "-200", "-200", "-200", "-200", "600", "600"),
    "bank-b/loans.b1": ("0", "200", "200", "200", "200", "200", "200", "200"),
    "bank-b/equity": ("0", "0", "0", "0", "0", "0", "800", "800"),
    "pool/cash": ("0", "10", "10", "-90", "410", "410", "410", "410"),
    "pool/fund": ("0", "10", "10", "10", "510", "510", "510", "510"),
    "pool/due-to-bank-a": ("0", "0", "0", "50", "50", "50", "50", "50"),
    "pool/compensation": ("0", "0", "0", "150", "150", "150", "150", "150"),
}
# The current balances (no as-of date) are those after the last value date.
CURRENT = {account: row[-1] for account, row in EXPECTED.items()}

# The risk pool's cash by value date with activity (P13, P7, P2), as GetBalanceHistory returns it; the
# report's chart adds the as-of date (the balance holds until then) unless that is one of these dates.
POOL_CASH_POINTS = [(D1, Decimal("10.00")), (D2, Decimal("-90.00")), (D3, Decimal("410.00"))]


def _pool_cash_chart(day: dt.date) -> list[tuple[dt.date, Decimal]]:
    points = [p for p in POOL_CASH_POINTS if p[0] <= day]  # never a point after `day`
    if not points or points[-1][0] < day:
        points.append((day, points[-1][1] if points else Decimal("0.00")))
    return points


def _name(account: str) -> str:
    party, code = account.split("/")
    return f"parties/{party}/accounts/{code}"


def _short(name: str) -> str:
    return name.removeprefix("parties/").replace("/accounts/", "/")


def _date(day: dt.date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _posting(account: str, side: int, value: str) -> pb.Posting:
    return pb.Posting(account=_name(account), side=side, amount=pb.Amount(commodity="CNY", value=value))


def _tx(request_id: str, day: dt.date, *moves: tuple[str, str, str]) -> pb.TransactionInput:
    """A transaction of (debit account, credit account, amount) moves."""
    postings = []
    for debit, credit, value in moves:
        postings += [_posting(debit, pb.SIDE_DEBIT, value), _posting(credit, pb.SIDE_CREDIT, value)]
    return pb.TransactionInput(request_id=request_id, value_date=_date(day), description=request_id, postings=postings)


def _post(stub: ledger_pb2_grpc.LedgerServiceStub, *txs: pb.TransactionInput) -> list[str]:
    """Post `txs` in one request; their names."""
    return [t.name for t in stub.PostTransactions(pb.PostTransactionsRequest(transactions=list(txs))).transactions]


def build_portfolio(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    for party_id, display_name, kind in PARTIES:
        stub.CreateParty(
            pb.CreatePartyRequest(request_id=f"p-{party_id}", party_id=party_id, display_name=display_name, kind=kind)
        )
    for account, account_type in ACCOUNTS.items():
        party, code = account.split("/")
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"a-{account}",
                party=f"parties/{party}",
                code=code,
                display_name=code,
                type=account_type,
                commodity="CNY",
            )
        )
    # One request each, in this order, so posting (sequence) order differs from value-date order.
    _post(stub, _tx("P1", D3, ("bank-a/cash", "bank-a/equity", "1000.00")))
    _post(stub, _tx("P2", D3, ("pool/cash", "pool/fund", "500.00")))
    _post(stub, _tx("P3", D2, ("bank-a/loans.a1", "bank-a/cash", "300.00")))
    _post(stub, _tx("P4", D4, ("bank-b/cash", "bank-b/equity", "800.00")))
    _post(stub, _tx("P5", D1, ("bank-b/loans.b1", "bank-b/cash", "200.00")))
    _post(
        stub,
        _tx(
            "P6",
            D2,
            ("bank-a/due-from-pool", "bank-a/recoveries", "150.00"),
            ("pool/compensation", "pool/due-to-bank-a", "150.00"),
        ),
    )
    _post(
        stub,
        _tx("P7", D2, ("pool/due-to-bank-a", "pool/cash", "100.00"), ("bank-a/cash", "bank-a/due-from-pool", "100.00")),
    )
    [p8] = _post(stub, _tx("P8", D1, ("bank-a/loans.a1", "bank-a/cash", "50.00")))
    stub.ReverseTransaction(pb.ReverseTransactionRequest(request_id="P9", name=p8, value_date=_date(D3)))
    [p10] = _post(stub, _tx("P10", D2, ("bank-b/loans.b1", "bank-b/cash", "75.00")))
    reversal = stub.ReverseTransaction(pb.ReverseTransactionRequest(request_id="P11", name=p10))
    assert reversal.transaction.value_date == pb.Transaction(value_date=_date(D2)).value_date
    _post(
        stub,
        _tx("P12", D4, ("bank-a/loans.a1", "bank-a/cash", "100.00")),
        _tx("P13", D1, ("pool/cash", "pool/fund", "10.00")),
    )


@pytest.fixture
def portfolio(stub: ledger_pb2_grpc.LedgerServiceStub, server_address: str) -> Iterator[ToudaiClient]:
    """The portfolio above on a fresh server; a client as the CLI makes one."""
    build_portfolio(stub)
    with ToudaiClient(server_address, timeout=30.0) as client:
        yield client


def _expected(day: dt.date | None) -> dict[str, Decimal]:
    if day is None:
        return {account: Decimal(value) for account, value in CURRENT.items()}
    return {account: Decimal(row[DATES.index(day)]) for account, row in EXPECTED.items()}


def _signed(account: str, normal: Decimal) -> Decimal:
    """A normal-side balance as debit minus credit."""
    return normal if ACCOUNTS[account] in DEBIT_NORMAL else -normal


def _ledger_balances(stub: ledger_pb2_grpc.LedgerServiceStub, day: dt.date | None) -> dict[str, Decimal]:
    """Every account's normal-side balance from BatchGetBalances, checked against GetBalance one by one."""
    accounts = list(ACCOUNTS)
    request = pb.BatchGetBalancesRequest(accounts=[_name(a) for a in accounts])
    if day is not None:
        request.as_of_date.CopyFrom(pb.Balance(as_of_date=_date(day)).as_of_date)
    batch = stub.BatchGetBalances(request).balances
    found = {}
    for account, balance in zip(accounts, batch, strict=True):
        assert balance.account == _name(account)
        assert balance.balance.commodity == "CNY"
        single = pb.GetBalanceRequest(account=_name(account))
        if day is not None:
            single.as_of_date.CopyFrom(request.as_of_date)
        one = stub.GetBalance(single).balance
        assert one.balance.value == balance.balance.value, (account, day)
        if day is not None:
            assert (one.as_of_date.year, one.as_of_date.month, one.as_of_date.day) == (day.year, day.month, day.day)
        found[account] = Decimal(balance.balance.value)
    return found


def _trial_balance(channel: grpc.Channel, day: dt.date | None) -> dict[str, Decimal]:
    """Every account's debit-minus-credit balance from TrialBalance (as `toudai audit trial-balance` asks)."""
    request = apb.TrialBalanceRequest()
    if day is not None:
        request.as_of_date.CopyFrom(pb.Balance(as_of_date=_date(day)).as_of_date)
    response = audit_pb2_grpc.AuditServiceStub(channel).TrialBalance(request)
    assert response.balanced, day
    assert [p.party for p in response.parties] == [f"parties/{p}" for p, _, _ in PARTIES]
    found = {}
    for party in response.parties:
        assert party.balanced and all(t.balanced for t in party.totals), (party.party, day)
        for line in party.lines:
            debit, credit = Decimal(line.debit), Decimal(line.credit)
            assert min(debit, credit) == 0, line  # one side only
            assert Decimal(line.balance_minor) / 100 == debit - credit, line
            found[_short(line.account)] = debit - credit
    return found


def _report_figures(client: ToudaiClient, day: dt.date) -> tuple[dict[str, Decimal], dict[str, Decimal], list[Decimal]]:
    """The report's trial balance (debit minus credit per account), loan exposure per branch and the
    pool's cash points, from the figures `toudai audit report --as-of` renders."""
    data, balanced = report_data(client, day)
    assert balanced and all(p.balanced for p in data.trial), day
    assert data.as_of == day
    trial = {
        f"{party.party}/{line.account}": Decimal(line.debit) - Decimal(line.credit)
        for party in data.trial
        for line in party.lines
    }
    exposures = {e.branch: e.amount for e in data.exposures}
    assert all(e.commodity == "CNY" and e.accounts == 1 for e in data.exposures)
    assert data.option_values == []  # no options-fair-value accounts in this portfolio
    [pool] = data.pool_balances
    assert (pool.label, pool.commodity) == ("pool/cash", "CNY")
    assert list(pool.points) == _pool_cash_chart(day), day
    return trial, exposures, [v for _, v in pool.points]


@pytest.mark.parametrize("day", DATES, ids=[d.isoformat() for d in DATES])
def test_audit_figures_as_of_agree_with_ledger_as_of_balances(
    day: dt.date,
    portfolio: ToudaiClient,
    stub: ledger_pb2_grpc.LedgerServiceStub,
    channel: grpc.Channel,
) -> None:
    expected = _expected(day)
    ledger = _ledger_balances(stub, day)
    assert ledger == expected, day

    trial = _trial_balance(channel, day)
    assert trial == {a: _signed(a, v) for a, v in ledger.items()}, day

    report_trial, exposures, pool_points = _report_figures(portfolio, day)
    assert report_trial == trial, day
    assert exposures == {"bank-a": ledger["bank-a/loans.a1"], "bank-b": ledger["bank-b/loans.b1"]}, day
    # The chart ends at the pool's cash at the end of `day` (0 before its first value date).
    assert pool_points[-1] == ledger["pool/cash"], day


def test_current_figures_are_those_after_the_last_value_date(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, portfolio: ToudaiClient
) -> None:
    ledger = _ledger_balances(stub, None)
    assert ledger == _expected(None) == _expected(DATES[-1])
    assert _trial_balance(channel, None) == {a: _signed(a, v) for a, v in ledger.items()}


def test_report_plots_the_pool_cash_dip_below_zero_by_value_date(portfolio: ToudaiClient) -> None:
    """In posting order the pool's cash never goes below zero (500 in, then 100 out, then 10 in); by value
    date it is -90.00 at the end of D2, before the 500.00 of D3 arrives, and the report shows that."""
    data, _ = report_data(portfolio, D4)
    html = render_html(data)
    chart = re.search(r'<svg[^>]*data-chart="risk-pool".*?</svg>', html)
    assert chart is not None
    plotted = re.findall(r"<title>pool/cash (\d{4}-\d\d-\d\d): ([-\d,.]+) CNY</title>", chart.group())
    assert [(dt.date.fromisoformat(d), Decimal(v.replace(",", ""))) for d, v in plotted] == [
        *POOL_CASH_POINTS,
        (D4, Decimal("410.00")),  # held from D3 to the report's date
    ]
    assert 'stroke-dasharray="4 3"' in chart.group()  # the zero line, since the balance crosses it
