"""The CLI's human output at 80 columns, pinned: what a clerk sees for the main commands (issue 21).

Each test renders a command's tables from fixed data (fixed ids, dates and instants, so the output is
stable) exactly as the command does, at 80 columns, and compares it with tests/snapshots/NAME.txt, which
a reviewer reads as it is. The figures are the README tour's and the worked example's, written out by
hand in the data below: e.g. bank-hz/cash 50,000,000.00 − 10,000,000.00 = 40,000,000.00 CNY.

After an intended change of the output, `TOUDAI_UPDATE_SNAPSHOTS=1 pytest tests/unit/test_cli_snapshots.py`
rewrites the files; review the diff like code.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from clients import humanize, render
from clients.audit_commands import trial_balance_table, verify_table
from clients.deal_commands import deal_table, deals_table, events_table
from clients.deal_files import load_deals
from clients.deal_types import Deal, DealEvent, DealStatus
from clients.exercise_commands import exercise_tables
from clients.resources import Balance, Posting, PostResult, Transaction
from clients.values import Side
from toudai.v1 import audit_pb2

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
ROOT = Path(__file__).resolve().parents[2]
WIDTH = 80
CREATED = dt.datetime(2026, 12, 4, 22, 15, 48, tzinfo=dt.UTC)  # 2026-12-05 06:15:48 in Asia/Shanghai


@pytest.fixture(autouse=True)
def business_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOUDAI_TIMEZONE", "Asia/Shanghai")
    humanize.configure(wide=False)


def text_of(*tables: Table) -> str:
    """The tables as the CLI prints them on an 80-column terminal, without colour, trailing blanks removed."""
    out = io.StringIO()
    console = Console(file=out, width=WIDTH, color_system=None, force_terminal=False, legacy_windows=False)
    render.show(console, *tables)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"


def check(name: str, text: str) -> None:
    assert all(cell_len(line) <= WIDTH for line in text.splitlines()), f"{name}: a line is wider than {WIDTH}"
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("TOUDAI_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"the output of {name} changed; see tests/snapshots/{name}.txt"


def tx(number: int, request_id: str, day: dt.date, description: str, *lines: tuple[str, str, str]) -> Transaction:
    return Transaction(
        name=f"transactions/{uuid.UUID(hex=f'{number:x}' * 32)}",
        request_id=request_id,
        value_date=day,
        description=description,
        metadata={},
        postings=tuple(
            Posting(f"parties/{account.replace('/', '/accounts/')}", Side(side), Decimal(value), "CNY")
            for side, account, value in lines
        ),
        legs=(),
        create_time=CREATED,
        reverses="",
        reversed_by="",
    )


OPENING = (
    tx(
        1,
        "open-bank-0001",
        dt.date(2026, 1, 5),
        "Paid-in capital",
        ("debit", "bank-hz/cash", "50000000.00"),
        ("credit", "bank-hz/capital", "50000000.00"),
    ),
    tx(
        2,
        "claim-0001",
        dt.date(2026, 2, 10),
        "Risk-pool compensation agreed for a defaulted loan (50%)",
        ("debit", "bank-hz/due-from-pool", "200000.00"),
        ("credit", "bank-hz/recoveries", "200000.00"),
        ("debit", "pool-hz/compensation", "200000.00"),
        ("credit", "pool-hz/due-to-bank", "200000.00"),
    ),
    tx(
        3,
        "disburse-0001",
        dt.date(2026, 3, 16),
        "",
        ("debit", "bank-hz/loans", "10000000.00"),
        ("credit", "bank-hz/cash", "10000000.00"),
    ),
)


def balance(account: str, amount: str, held: str = "0.00", as_of: dt.date | None = None) -> Balance:
    value, hold = Decimal(amount), Decimal(held)
    return Balance(f"parties/{account.replace('/', '/accounts/')}", "CNY", value, hold, value - hold, as_of)


def test_balance() -> None:
    # cash 50,000,000.00 − 10,000,000.00; the pool's 3,000,000.00 with a hold of 150,000.00: 2,850,000.00 free.
    balances = [
        balance("bank-hz/cash", "40000000.00"),
        balance("bank-hz/loans", "10000000.00"),
        balance("pool-hz/cash", "3000000.00", held="150000.00"),
    ]
    check("balance", text_of(render.balances_table(balances)))
    as_of = [balance("bank-hz/cash", "50000000.00", as_of=dt.date(2026, 1, 31))]
    check("balance_as_of", text_of(render.balances_table(as_of)))


def test_tx_list() -> None:
    check("tx_list", text_of(render.transactions_table(OPENING)))


def test_tx_list_wide_keeps_the_full_names() -> None:
    """`-o wide` is for a wide terminal and for copying: full names, folded if they must be, never cut off."""
    humanize.configure(wide=True)
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(render.transactions_table(OPENING[:1]))
    text = out.getvalue()
    assert "transactions/11111111-1111-1111-1111-111111111111" in text
    assert "Dr parties/bank-hz/accounts/cash" in text
    narrow = text_of(render.transactions_table(OPENING[:1]))
    assert "…" not in narrow


def test_a_replayed_transfer_says_so() -> None:
    result = PostResult(
        transactions=OPENING[2:],
        balances=(balance("bank-hz/cash", "40000000.00"), balance("bank-hz/loans", "10000000.00")),
        replayed=frozenset({OPENING[2].name}),
    )
    notes = render.replay_notes(result)
    assert notes == [
        "disburse-0001: already posted at 2026-12-05 06:15:48 +08:00, nothing changed (33333333)",
    ]
    fresh = PostResult(transactions=OPENING[2:], balances=result.balances)
    assert render.replay_notes(fresh) == []


def worked_deal(status: DealStatus = DealStatus.REPAYING) -> Deal:
    (booked,) = load_deals((ROOT / "examples" / "worked-example.yaml").read_text(encoding="utf-8"), "worked.yaml")
    events = (
        DealEvent("booked", dt.date(2026, 3, 16), "book:hz-2026-001", "", CREATED, {}),
        DealEvent(
            "disbursed",
            dt.date(2026, 3, 16),
            "d-1",
            f"transactions/{uuid.UUID(hex='a1' * 16)}",
            CREATED,
            {"principal": "10000000.00"},
        ),
        # 16 Mar–15 Apr: 10,000,000.00 × 4.35% × 31/360 = 37,458.33
        DealEvent(
            "accrued",
            dt.date(2026, 4, 15),
            "a-1",
            f"transactions/{uuid.UUID(hex='a2' * 16)}",
            CREATED,
            {"interest": "37458.33", "through": "2026-04-15"},
        ),
        DealEvent(
            "repaid",
            dt.date(2026, 4, 16),
            "r-1",
            f"transactions/{uuid.UUID(hex='a3' * 16)}",
            CREATED,
            {"interest": "37458.33", "principal": "0.00"},
        ),
    )
    return Deal(
        name="deals/hz-2026-001",
        deal_id="hz-2026-001",
        status=status,
        terms=booked.terms,
        option_quantity=100_000,  # 10,000,000.00 × 10% ÷ 10.00
        option_commodity="OPT-HZ-2026-001",
        principal_outstanding=Decimal("10000000.00"),
        interest_receivable=Decimal("0.00"),
        subsidy_receivable=Decimal("0.00"),
        accrued_to=dt.date(2026, 4, 16),
        create_time=CREATED,
        events=events,
        accrued_through=dt.date(2026, 4, 15),
    )


def test_deal_show() -> None:
    deal = worked_deal()
    check("deal_show", text_of(deal_table(deal), events_table(deal)))


def test_deal_list() -> None:
    check("deal_list", text_of(deals_table([worked_deal()])))


def test_trial_balance() -> None:
    # bank-hz: cash 40,000,000.00 + loans 10,000,000.00 + due-from-pool 200,000.00 debits
    #        = capital 50,000,000.00 + recoveries 200,000.00 credits = 50,200,000.00
    response = audit_pb2.TrialBalanceResponse(
        balanced=True,
        parties=[
            audit_pb2.PartyTrialBalance(
                party="parties/bank-hz",
                balanced=True,
                totals=[
                    audit_pb2.CommodityTotal(commodity="CNY", debit="50200000.00", credit="50200000.00", balanced=True)
                ],
            ),
            audit_pb2.PartyTrialBalance(
                party="parties/invest-arm",
                balanced=True,
                totals=[
                    audit_pb2.CommodityTotal(commodity="CNY", debit="0.00", credit="0.00", balanced=True),
                    audit_pb2.CommodityTotal(
                        commodity="OPT-HZ-2026-001", debit="100000", credit="100000", balanced=True
                    ),
                ],
            ),
        ],
    )
    check("trial_balance", text_of(trial_balance_table(response, dt.date(2026, 4, 30))))


def test_verify_table() -> None:
    # Minor units (fen) from the export, shown as money: 5,020,000,000 fen = 50,200,000.00 CNY.
    trial = {
        ("bank-hz", "CNY"): (5_020_000_000, 5_020_000_000),
        ("pool-hz", "CNY"): (320_000_000, 320_000_001),  # one fen out: UNBALANCED
    }
    check("verify", text_of(verify_table(trial, {"CNY": 2})))


def test_exercise_show() -> None:
    # 100,000 × (25.00 − 10.00) = 1,500,000.00; the pool's 200,000.00 first, then 30 / 50 / 20 of 1,300,000.00.
    exercise = {
        "name": "exercises/5f0c1b2e-7a4d-4c1e-9b7a-0d7e6f5a4b3c",
        "deal": "deals/hz-2026-001",
        "state": "settled",
        "method": "cash-and-sale",
        "quantity": 100_000,
        "trigger": "qualifying-round",
        "funding_round": "companies/c1/fundingRounds/r1",
        "price_per_share": "25.00",
        "strike_per_share": "10",
        "transfer_price": "0.00",
        "fees": "0.00",
        "value_date": "2026-06-02",
        "requested_by": "arm-alice",
        "decided_by": "bank-bob",
        "split": {
            "gain": "1500000.00",
            "pool_reimbursement": "200000.00",
            "advisory_fee": "0.00",
            "bank": "390000.00",
            "investment_arm": "650000.00",
            "risk_pool": "260000.00",
        },
        "shares_received": 0,
        "expire_time": "",
        "create_time": CREATED.isoformat(),
        "steps": [
            {
                "from_state": "",
                "to_state": "requested",
                "principal": "arm-alice",
                "reason": "",
                "create_time": CREATED.isoformat(),
                "transactions": [],
            },
            {
                "from_state": "approved",
                "to_state": "settled",
                "principal": "bank-bob",
                "reason": "round verified",
                "create_time": (CREATED + dt.timedelta(hours=1)).isoformat(),
                "transactions": [
                    f"transactions/{uuid.UUID(hex='b1' * 16)}",
                    f"transactions/{uuid.UUID(hex='b2' * 16)}",
                ],
            },
        ],
    }
    text = text_of(*exercise_tables(exercise))
    assert "Price per share   25.00" in text and "Strike per share  10.00" in text  # one amount style
    check("exercise_show", text)


def test_one_amount_and_time_style() -> None:
    assert humanize.amount(Decimal("50000000.00"), "CNY") == "50,000,000.00 CNY"
    assert humanize.amount(Decimal("10")) == "10.00"
    assert humanize.amount(Decimal("0.3125")) == "0.3125"  # never fewer places than the value has
    assert humanize.amount(100_000, "OPT-HZ-2026-001") == "100,000 OPT-HZ-2026-001"
    assert humanize.minor(1_000_000_001, 2, "CNY") == "10,000,000.01 CNY"
    assert humanize.when(CREATED) == "2026-12-05 06:15:48 +08:00"
    assert humanize.when("2026-12-11T22:23:47.290976+00:00") == "2026-12-12 06:23:47 +08:00"
    assert humanize.account("parties/bank-hz/accounts/due-from-pool") == "bank-hz/due-from-pool"
    assert humanize.ident("transactions/d8d05df6-a223-4ec1-be67-96634daf2293") == "d8d05df6"
    assert humanize.ident("deals/hz-2026-001") == "hz-2026-001"
    assert humanize.in_words("account parties/bank-hz/accounts/x sums to 10000000.01 CNY") == (
        "account bank-hz/x sums to 10,000,000.01 CNY"
    )
