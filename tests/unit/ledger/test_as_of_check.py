"""Must-not-go-negative as of every date, without a database: ledger.posting.first_shortfall (the pure
walk over a guarded account's later per-day totals), guarded_since (what posting reads for it) and
compute (the walk inside a batch, with the batch's own earlier transactions on their own dates).

Amounts are minor units (fen) on the account's normal side unless said otherwise; every expected figure
is worked out by hand in the comment above it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from ledger.errors import InsufficientFunds
from ledger.model import Account, AccountType, PostingSpec, Side, TransactionSpec
from ledger.posting import Running, Shortfall, State, compute, first_shortfall, guarded_since
from ledger.validation import ValidTransaction, validate_batch

D = dt.date.fromisoformat
TODAY = D("2026-12-05")
NOW = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)


def account(code: str, kind: AccountType, *, guarded: bool = False) -> Account:
    return Account(uuid.uuid4(), "p", code, code, kind, "CNY", 2, guarded, NOW)


CASH = account("cash", AccountType.ASSET, guarded=True)
FUND = account("fund", AccountType.LIABILITY, guarded=True)  # credit-normal and guarded
CAPITAL = account("capital", AccountType.EQUITY)
PAYOUTS = account("payouts", AccountType.EXPENSE)
ACCOUNTS = {a.name: a for a in (CASH, FUND, CAPITAL, PAYOUTS)}


# ------------------------------------------------------------------------------------------ first_shortfall


def test_nothing_later_and_enough_is_no_shortfall() -> None:
    # 900.00 on every date from 2026-01-02 on.
    assert first_shortfall(D("2026-01-02"), TODAY, 90_000, 0, []) is None


def test_the_brief_s_case_a_payout_dated_before_the_deposit() -> None:
    # After the payout of 100.00 dated 2026-01-02 the account holds 900.00 now; 1,000.00 of it is dated
    # 2026-06-01. As of 2026-01-02: 900.00 - 1,000.00 = -100.00; as of 2026-06-01: 900.00.
    assert first_shortfall(D("2026-01-02"), TODAY, 90_000, 0, [(D("2026-06-01"), 100_000)]) == Shortfall(
        date=D("2026-01-02"), balance=-10_000, held=0, short=10_000, most=10_000, clear_from=D("2026-06-01")
    )


def test_the_first_short_date_may_be_a_later_one_and_the_worst_is_reported_too() -> None:
    # Balance now 50.00; later totals: 2026-03-01 -300.00, 2026-04-01 -200.00, 2026-05-01 +550.00.
    # As of the value date 2026-02-01: 50.00 - (-300.00 - 200.00 + 550.00) = 0.00 (fine),
    # 2026-03-01: -300.00 (first short), 2026-04-01: -500.00 (worst), 2026-05-01: 50.00 (fine again).
    later = [(D("2026-03-01"), -30_000), (D("2026-04-01"), -20_000), (D("2026-05-01"), 55_000)]
    assert first_shortfall(D("2026-02-01"), TODAY, 5_000, 0, later) == Shortfall(
        date=D("2026-03-01"), balance=-30_000, held=0, short=30_000, most=50_000, clear_from=D("2026-05-01")
    )


def test_short_on_the_last_date_no_later_date_helps() -> None:
    # Now -100.00 (the last total, 2027-01-15, is -600.00): as of 2027-01-10 500.00, as of 2027-01-15 -100.00.
    assert first_shortfall(D("2027-01-10"), TODAY, -10_000, 0, [(D("2027-01-15"), -60_000)]) == Shortfall(
        date=D("2027-01-15"), balance=-10_000, held=0, short=10_000, most=10_000, clear_from=None
    )


def test_held_counts_from_today_on_only() -> None:
    # Balance now 1,200.00 with 800.00 held; 500.00 of it is dated 2027-01-15. Dated 2026-12-02 (before
    # today): as of 2026-12-02 700.00 (holds do not count before today: fine); from today 700.00 - 800.00
    # = -100.00 short; from 2027-01-15 1,200.00 - 800.00 = 400.00.
    assert first_shortfall(D("2026-12-02"), TODAY, 120_000, 80_000, [(D("2027-01-15"), 50_000)]) == Shortfall(
        date=TODAY, balance=70_000, held=80_000, short=10_000, most=10_000, clear_from=D("2027-01-15")
    )
    # The same 700.00 with only 700.00 held is exactly enough.
    assert first_shortfall(D("2026-12-02"), TODAY, 120_000, 70_000, [(D("2027-01-15"), 50_000)]) is None


def test_held_on_a_day_with_its_own_total_and_when_today_is_past_every_total() -> None:
    # A total dated today itself: as of 2026-12-01 100.00 - 50.00 = 50.00 (fine, before today), as of
    # today 100.00 with 120.00 held: short by 20.00.
    assert first_shortfall(D("2026-12-01"), TODAY, 10_000, 12_000, [(TODAY, 5_000)]) == Shortfall(
        date=TODAY, balance=10_000, held=12_000, short=2_000, most=2_000, clear_from=None
    )
    # Every total before today: now 30.00, of which -60.00 dated 2026-11-02. As of 2026-11-01 90.00, from
    # 2026-11-02 30.00, from today 30.00 - 40.00 held = -10.00 (today starts a step of its own).
    assert first_shortfall(D("2026-11-01"), TODAY, 3_000, 4_000, [(D("2026-11-02"), -6_000)]) == Shortfall(
        date=TODAY, balance=3_000, held=4_000, short=1_000, most=1_000, clear_from=None
    )


# ------------------------------------------------------------------------------------------ guarded_since


def tx(request_id: str, day: str, debit: Account, credit: Account, value: str) -> TransactionSpec:
    return TransactionSpec(
        request_id,
        D(day),
        "",
        {},
        (PostingSpec(debit.name, Side.DEBIT, "CNY", value), PostingSpec(credit.name, Side.CREDIT, "CNY", value)),
    )


def batch(*specs: TransactionSpec) -> list[ValidTransaction]:
    return validate_batch(list(specs), ACCOUNTS.get, today=TODAY)


def test_guarded_since_names_the_lowered_guarded_accounts_and_their_earliest_date() -> None:
    valid = batch(
        tx("a", "2026-07-01", PAYOUTS, CASH, "1.00"),  # lowers cash (an asset credited)
        tx("b", "2026-05-01", PAYOUTS, CASH, "1.00"),  # earlier: cash from 2026-05-01
        tx("c", "2026-01-01", CASH, CAPITAL, "1.00"),  # raises cash: not counted
        tx("d", "2026-03-01", FUND, CAPITAL, "1.00"),  # lowers the fund (a liability debited)
        tx("e", "2026-02-01", PAYOUTS, FUND, "1.00"),  # raises the fund: not counted
    )
    assert guarded_since(valid) == {CASH.id: ("p", D("2026-05-01")), FUND.id: ("p", D("2026-03-01"))}


# ------------------------------------------------------------------------------------------ compute


def state(valid: list[ValidTransaction], cash: int, later: list[tuple[dt.date, int]]) -> State:
    """Cash at `cash` (debit-positive fen) with `later` per-day totals, as posting_state.read_state reads
    them for the batch `valid` (running totals of the touched accounts only)."""
    touched = {p.account.id for t in valid for p in t.postings}
    running = {CASH.id: Running(cash, 0, 0), CAPITAL.id: Running(-cash, 0, 0), PAYOUTS.id: Running(0, 0, 0)}
    assert guarded_since(valid).keys() == {CASH.id}
    return State(
        heads={"p": (0, "0" * 64)},
        existing={},
        running={k: v for k, v in running.items() if k in touched},
        later={CASH.id: later},
    )


def run(valid: list[ValidTransaction], cash: int, later: list[tuple[dt.date, int]]) -> None:
    compute(
        valid, state(valid, cash, later), now=NOW, today=TODAY, field_prefix="transactions", actors=None, bound=None
    )


def test_compute_refuses_a_back_dated_payout_before_the_funding() -> None:
    # Cash holds 1,000.00 dated 2026-06-01 (the read found that per-day total after 2026-01-02).
    valid = batch(tx("early", "2026-01-02", PAYOUTS, CASH, "100.00"))
    with pytest.raises(InsufficientFunds) as refused:
        run(valid, 100_000, [(D("2026-06-01"), 100_000)])
    assert str(refused.value).startswith(
        "transactions[0] (early): parties/p/accounts/cash must not go negative: as of 2026-01-02 its balance "
        "would be -100.00 CNY, short by 100.00 CNY; date the transaction on or after 2026-06-01"
    )
    # Without later totals (the same 1,000.00 dated on or before 2026-01-02) it is fine: 900.00 throughout.
    run(batch(tx("early", "2026-01-02", PAYOUTS, CASH, "100.00")), 100_000, [])


def test_compute_counts_the_batch_s_own_earlier_transactions_on_their_dates() -> None:
    # Cash is empty and has no per-day totals. A deposit of 100.00 dated 2026-05-15, then a payout of
    # 100.00 dated 2026-05-01: 0.00 now, but -100.00 as of 2026-05-01 (the deposit comes two weeks later).
    valid = batch(tx("in", "2026-05-15", CASH, CAPITAL, "100.00"), tx("out", "2026-05-01", PAYOUTS, CASH, "100.00"))
    with pytest.raises(InsufficientFunds) as refused:
        run(valid, 0, [])
    assert "transactions[1] (out)" in str(refused.value)
    assert "as of 2026-05-01 its balance would be -100.00 CNY" in str(refused.value)
    assert "on or after 2026-05-15" in str(refused.value)
    # Deposit and payout on the same day, in that order: fine.
    run(
        batch(tx("in", "2026-05-01", CASH, CAPITAL, "100.00"), tx("out", "2026-05-01", PAYOUTS, CASH, "100.00")),
        0,
        [],
    )
