"""Sharing a recovery pro rata to what each party bore (deals.recovery), and the journal entries of the
default, the write-off and a recovery (deals.accounting): hand-computed figures, no database."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from deals import accounting
from deals.recovery import Basis, half_up, share, split
from ledger.model import Side, TransactionSpec

DAY = dt.date(2025, 9, 30)
ACCOUNTS = accounting.DealAccounts(
    deal="d", branch="bank", holder="arm", pool="pool", subsidy_fund="fund", insurer="insurer"
)


def test_half_up_is_exact() -> None:
    assert [half_up(n, 2) for n in (0, 1, 2, 3, 5)] == [0, 1, 1, 2, 3]  # 0.5 → 1, 1.5 → 2, 2.5 → 3
    assert half_up(1, 3) == 0 and half_up(2, 3) == 1


def test_the_issue_example_70_percent() -> None:
    """Loss 1,001,208.33, pool 700,845.83 (70%), no insurer; recovery 350,000.00:
    350,000.00 × 700,845.83 / 1,001,208.33 = 244,999.9997 → 245,000.00; the bank 105,000.00."""
    basis = Basis(loss=100_120_833, pool=70_084_583, insurer=0)
    assert split(basis, 35_000_000) == (24_500_000, 0, 10_500_000)


def test_the_insurer_and_the_pool_with_rounding() -> None:
    """Loss 10,006,027.77, pool 3,000,000.00, insurer 2,001,205.55; net recovery 987,654.33:
    pool 296,117.806 → 296,117.81, insurer 197,530.866 → 197,530.87, bank the rest 494,005.65."""
    basis = Basis(loss=1_000_602_777, pool=300_000_000, insurer=200_120_555)
    assert split(basis, 98_765_433) == (29_611_781, 19_753_087, 49_400_565)


def test_rounding_never_accumulates_and_a_share_is_capped_at_what_was_borne() -> None:
    """Loss 3.00, pool 2.00: three recoveries of 1.00 each. Rounding each share on its own would give
    0.6667 → 0.67 three times, 2.01 in all, more than the 2.00 the pool bore. Rounding the cumulative share
    once gives 0.67, then 1.3333 → 1.33 less 0.67 = 0.66, then 2.00 less 1.33 = 0.67: 2.00 in all."""
    loss, pool = 300, 200
    assert [half_up(100 * pool, loss)] * 3 == [67, 67, 67]  # per recovery: 2.01 in all
    basis = Basis(loss=loss, pool=pool, insurer=0)
    given_back = []
    for n in range(3):
        got = share(pool, loss, 100 * n, 100, sum(given_back))
        given_back.append(got)
    assert given_back == [67, 66, 67] and sum(given_back) == pool
    # The explicit cap: a share never exceeds what the party has not yet been given back.
    assert share(pool, loss, 0, 300, 199) == 1
    assert split(basis, 0) == (0, 0, 0)


def test_nothing_is_shared_with_a_party_that_bore_nothing() -> None:
    """A rejected claim: the pool bore 0 and the bank takes the whole recovery."""
    assert split(Basis(loss=1_000_000, pool=0, insurer=0), 400_000) == (0, 0, 400_000)


@given(
    loss=st.integers(min_value=1, max_value=10**12),
    pool_rate=st.fractions(min_value=0, max_value=1),
    insurer_rate=st.fractions(min_value=0, max_value=1),
    cuts=st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=6),
)
def test_recovering_the_whole_loss_returns_each_party_exactly_what_it_bore(
    loss: int, pool_rate: Fraction, insurer_rate: Fraction, cuts: list[Fraction]
) -> None:
    pool = int(loss * pool_rate)
    insurer = min(int(loss * insurer_rate), loss - pool)
    points = sorted({int(loss * c) for c in cuts} | {loss})
    basis = Basis(loss=loss, pool=pool, insurer=insurer)
    before = 0
    for point in points:
        net = point - before
        p, i, b = split(basis, net)
        assert min(p, i, b) >= 0 and p + i + b == net
        assert basis.pool_returned + p <= pool and basis.insurer_returned + i <= insurer
        basis = Basis(loss, pool, insurer, point, basis.pool_returned + p, basis.insurer_returned + i)
        before = point
    assert (basis.pool_returned, basis.insurer_returned) == (pool, insurer)


def _net(spec: TransactionSpec) -> dict[str, Decimal]:
    """Debit-positive totals per account; each party's must sum to zero."""
    found: dict[str, Decimal] = defaultdict(Decimal)
    for p in spec.postings:
        found[p.account] += Decimal(p.value) if p.side is Side.DEBIT else -Decimal(p.value)
    per_party: dict[str, Decimal] = defaultdict(Decimal)
    for name, value in found.items():
        per_party[name.split("/")[1]] += value
    assert all(v == 0 for v in per_party.values()), per_party
    return dict(found)


def test_the_default_leaves_the_loan_whole() -> None:
    """Pool pays 500,000.00 and owes 2,500,000.00; the insurer owes 1,800,520.00: nothing touches the loan."""
    amounts = accounting.DefaultAmounts(
        principal=900_000_000, interest=260_000, pool_paid=50_000_000, pool_claim=250_000_000, insurer=180_052_000
    )
    lines = _net(accounting.default(ACCOUNTS, "r", DAY, amounts, {}))
    assert lines == {
        "parties/bank/accounts/clearing": Decimal("500000.00"),
        "parties/bank/accounts/compensation-receivable.d": Decimal("2500000.00"),
        "parties/bank/accounts/compensation-received.d": Decimal("-3000000.00"),
        "parties/bank/accounts/insurance-receivable.d": Decimal("1800520.00"),
        "parties/bank/accounts/insurance-compensation.d": Decimal("-1800520.00"),
        "parties/pool/accounts/compensation-expense": Decimal("3000000.00"),
        "parties/pool/accounts/cash": Decimal("-500000.00"),
        "parties/pool/accounts/claims-payable.d": Decimal("-2500000.00"),
        "parties/insurer/accounts/claims-expense": Decimal("1800520.00"),
        "parties/insurer/accounts/claims-payable.d": Decimal("-1800520.00"),
    }


def test_the_write_off_applies_the_cover_and_books_the_rest_as_loss() -> None:
    """9,000,000.00 + 2,600.00 written off; 3,000,000.00 + 1,800,520.00 cover; loss 4,202,080.00."""
    spec = accounting.write_off(
        ACCOUNTS, "r", DAY, 900_000_000, 260_000, {}, compensation=300_000_000, insurance=180_052_000
    )
    assert _net(spec) == {
        "parties/bank/accounts/compensation-received.d": Decimal("3000000.00"),
        "parties/bank/accounts/insurance-compensation.d": Decimal("1800520.00"),
        "parties/bank/accounts/loan-loss": Decimal("4202080.00"),
        "parties/bank/accounts/loans.d": Decimal("-9000000.00"),
        "parties/bank/accounts/interest-receivable.d": Decimal("-2600.00"),
    }


def test_a_recovery_before_and_after_write_off() -> None:
    """1,000.00 recovered: 100.00 costs, 800.00 principal, 100.00 interest; pool 450.00 (400.00 set off),
    insurer 180.00 (all set off), bank 270.00."""
    r = accounting.RecoveryAmounts(
        costs=10_000,
        principal=80_000,
        interest=10_000,
        pool_share=45_000,
        pool_set_off=40_000,
        insurer_share=18_000,
        insurer_set_off=18_000,
    )
    assert (r.amount, r.bank_share) == (100_000, 27_000)
    common = {
        "parties/bank/accounts/clearing": Decimal("950.00"),  # 1,000.00 less the pool's 50.00 in cash
        "parties/bank/accounts/collection-costs": Decimal("-100.00"),
        "parties/bank/accounts/compensation-receivable.d": Decimal("-400.00"),
        "parties/bank/accounts/insurance-receivable.d": Decimal("-180.00"),
        "parties/pool/accounts/claims-payable.d": Decimal("400.00"),
        "parties/pool/accounts/cash": Decimal("50.00"),
        "parties/pool/accounts/recovery-income": Decimal("-450.00"),
        "parties/insurer/accounts/claims-payable.d": Decimal("180.00"),
        "parties/insurer/accounts/recovery-income": Decimal("-180.00"),
    }
    before = _net(accounting.recover(ACCOUNTS, "r", DAY, r, {}, written_off=False))
    assert before == {
        **common,
        "parties/bank/accounts/loans.d": Decimal("-800.00"),
        "parties/bank/accounts/interest-receivable.d": Decimal("-100.00"),
        "parties/bank/accounts/compensation-received.d": Decimal("450.00"),
        "parties/bank/accounts/insurance-compensation.d": Decimal("180.00"),
    }
    after = _net(accounting.recover(ACCOUNTS, "r", DAY, r, {}, written_off=True))
    assert after == {**common, "parties/bank/accounts/written-off-recoveries": Decimal("-270.00")}


def test_the_subsidy_reversal() -> None:
    lines = _net(accounting.reverse_subsidy(ACCOUNTS, "r", DAY, 3_143_056, {}))
    assert lines == {
        "parties/bank/accounts/interest-income": Decimal("31430.56"),
        "parties/bank/accounts/subsidy-receivable.d": Decimal("-31430.56"),
        "parties/fund/accounts/subsidy-payable.d": Decimal("31430.56"),
        "parties/fund/accounts/subsidy-expense": Decimal("-31430.56"),
    }
