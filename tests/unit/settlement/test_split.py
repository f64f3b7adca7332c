"""The proceeds waterfall and the largest-remainder split (settlement/split.py).

Every expected figure is worked out by hand in the test; amounts are fen.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settlement.split import BASIS_POINTS, Waterfall, largest_remainder, waterfall

WHOLE = 10_000


@st.composite
def bps_splits(draw: st.DrawFn) -> tuple[int, int, int]:
    """Three basis-point weights (bank, investment arm, pool) summing to 10,000; zeros allowed."""
    first = draw(st.integers(min_value=0, max_value=WHOLE))
    second = draw(st.integers(min_value=0, max_value=WHOLE - first))
    return first, second, WHOLE - first - second


@given(amount=st.integers(min_value=0, max_value=10**12), bps=bps_splits())
def test_parts_sum_to_the_whole_and_stay_within_a_fen_of_the_exact_share(
    amount: int, bps: tuple[int, int, int]
) -> None:
    parts = largest_remainder(amount, bps)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    for part, weight in zip(parts, bps, strict=True):
        exact = Fraction(amount * weight, WHOLE)
        assert abs(part - exact) < 1, (part, exact)
        # Largest remainder only ever rounds up or down, never further.
        assert part in (exact.__floor__(), exact.__ceil__())


@given(amount=st.integers(min_value=0, max_value=10**12), bps=bps_splits())
def test_the_split_is_deterministic(amount: int, bps: tuple[int, int, int]) -> None:
    assert largest_remainder(amount, bps) == largest_remainder(amount, bps)


@given(amount=st.integers(min_value=0, max_value=10**12), bps=bps_splits())
def test_leftover_fen_go_to_the_largest_remainders_ties_in_party_order(amount: int, bps: tuple[int, int, int]) -> None:
    parts = largest_remainder(amount, bps)
    remainders = [amount * w % WHOLE for w in bps]
    rounded_up = [i for i in range(3) if parts[i] * WHOLE > amount * bps[i]]
    left_down = [i for i in range(3) if i not in rounded_up and remainders[i] > 0]
    # Nobody left down has a larger remainder than someone rounded up, nor an equal one and an earlier place.
    for up in rounded_up:
        for down in left_down:
            assert remainders[down] < remainders[up] or (remainders[down] == remainders[up] and down > up)


def test_ties_go_to_the_bank_then_the_investment_arm_then_the_pool() -> None:
    # 1 fen in thirds (3,334 / 3,333 / 3,333 bps): remainders 3,334 / 3,333 / 3,333 of 10,000: the bank's is
    # largest, so the bank gets the fen.
    assert largest_remainder(1, (3334, 3333, 3333)) == [1, 0, 0]
    # 2 fen split equally between bank and arm (5,000 / 5,000 / 0): 1 each, no remainder.
    assert largest_remainder(2, (5000, 5000, 0)) == [1, 1, 0]
    # 1 fen split 5,000 / 5,000 / 0: remainders equal (5,000 each): the tie goes to the bank.
    assert largest_remainder(1, (5000, 5000, 0)) == [1, 0, 0]
    # 1 fen split 0 / 5,000 / 5,000: the tie between arm and pool goes to the arm.
    assert largest_remainder(1, (0, 5000, 5000)) == [0, 1, 0]
    # 2 fen in three equal-remainder parts of 1/3 each would be 2/3 each: ties bank, then arm.
    assert largest_remainder(2, (1, 1, 1)) == [1, 1, 0]
    # 1 fen split 2,500 / 2,500 / 5,000: the pool's remainder (5,000) is largest; it gets the fen.
    assert largest_remainder(1, (2500, 2500, 5000)) == [0, 0, 1]
    # 0.05 CNY split 30/50/20: exact 1.5 / 2.5 / 1.0 fen; floors 1 / 2 / 1 (4 fen), 1 left; remainders
    # 5,000 / 5,000 / 0: tie between bank and arm, the bank gets it: 2 / 2 / 1.
    assert largest_remainder(5, (3000, 5000, 2000)) == [2, 2, 1]


def test_largest_remainder_refuses_negative_amounts_and_bad_weights() -> None:
    with pytest.raises(ValueError):
        largest_remainder(-1, (3000, 5000, 2000))
    with pytest.raises(ValueError):
        largest_remainder(100, (0, 0, 0))
    with pytest.raises(ValueError):
        largest_remainder(100, (-1, 5000, 5001))


# ------------------------------------------------------------------ the waterfall

SPLIT = (3000, 5000, 2000)


def test_the_worked_example() -> None:
    # Gain 1,500,000.00; the pool paid 200,000.00 on this borrower and is reimbursed first; the remaining
    # 1,300,000.00 split 30 / 50 / 20 is 390,000.00 / 650,000.00 / 260,000.00.
    result = waterfall(150_000_000, reimbursement_due=20_000_000, advisory_fee=0, bps=SPLIT)
    assert result == Waterfall(
        gain=150_000_000,
        pool_reimbursement=20_000_000,
        advisory_fee=0,
        bank=39_000_000,
        investment_arm=65_000_000,
        risk_pool=26_000_000,
    )
    assert result.to_bank == 39_000_000
    assert result.to_pool == 46_000_000  # 200,000.00 + 260,000.00


def test_the_advisory_fee_comes_after_the_reimbursement_and_before_the_split() -> None:
    # 1,500,000.00 − 200,000.00 reimbursement − 100,000.00 fee = 1,200,000.00 → 360,000 / 600,000 / 240,000.
    result = waterfall(150_000_000, reimbursement_due=20_000_000, advisory_fee=10_000_000, bps=SPLIT)
    assert (result.pool_reimbursement, result.advisory_fee) == (20_000_000, 10_000_000)
    assert (result.bank, result.investment_arm, result.risk_pool) == (36_000_000, 60_000_000, 24_000_000)
    assert result.to_bank == 46_000_000  # fee 100,000.00 + share 360,000.00


def test_a_gain_smaller_than_the_reimbursement_all_goes_to_the_pool() -> None:
    # Gain 150,000.00 against 200,000.00 due: the pool takes all of it; no fee, no split.
    result = waterfall(15_000_000, reimbursement_due=20_000_000, advisory_fee=10_000_000, bps=SPLIT)
    assert result == Waterfall(15_000_000, 15_000_000, 0, 0, 0, 0)


def test_a_gain_covering_the_reimbursement_but_not_the_fee() -> None:
    # Gain 250,000.00: 200,000.00 to the pool, the remaining 50,000.00 of the 100,000.00 fee to the bank.
    result = waterfall(25_000_000, reimbursement_due=20_000_000, advisory_fee=10_000_000, bps=SPLIT)
    assert result == Waterfall(25_000_000, 20_000_000, 5_000_000, 0, 0, 0)


def test_an_uneven_split_rounds_by_largest_remainder() -> None:
    # 100.01 CNY = 10,001 fen at 30/50/20: exact 3,000.3 / 5,000.5 / 2,000.2; floors 3,000 / 5,000 / 2,000
    # (10,000), 1 fen left; the arm's remainder (0.5) is largest: 3,000 / 5,001 / 2,000.
    result = waterfall(10_001, reimbursement_due=0, advisory_fee=0, bps=SPLIT)
    assert (result.bank, result.investment_arm, result.risk_pool) == (3_000, 5_001, 2_000)
    # 0.07 CNY at 1/3 each (3,334 / 3,333 / 3,333): exact 2.3338 / 2.3331 / 2.3331; floors 2 / 2 / 2, 1 left;
    # the bank's remainder is largest: 3 / 2 / 2.
    result = waterfall(7, reimbursement_due=0, advisory_fee=0, bps=(3334, 3333, 3333))
    assert (result.bank, result.investment_arm, result.risk_pool) == (3, 2, 2)


@pytest.mark.parametrize("gain", [0, -1, -150_000_000])
def test_zero_gain_and_a_loss_give_all_zeros(gain: int) -> None:
    result = waterfall(gain, reimbursement_due=20_000_000, advisory_fee=10_000_000, bps=SPLIT)
    assert result == Waterfall(0, 0, 0, 0, 0, 0)


def test_nothing_due_and_no_fee_is_a_plain_split() -> None:
    # 1,500,000.00 × 30 / 50 / 20 = 450,000.00 / 750,000.00 / 300,000.00.
    result = waterfall(150_000_000, reimbursement_due=0, advisory_fee=0, bps=SPLIT)
    assert (result.pool_reimbursement, result.advisory_fee) == (0, 0)
    assert (result.bank, result.investment_arm, result.risk_pool) == (45_000_000, 75_000_000, 30_000_000)


def test_basis_points_must_sum_to_ten_thousand() -> None:
    assert BASIS_POINTS == 10_000
    with pytest.raises(ValueError):
        waterfall(100, reimbursement_due=0, advisory_fee=0, bps=(3000, 5000, 1999))


@given(
    gain=st.integers(min_value=-(10**12), max_value=10**12),
    due=st.integers(min_value=0, max_value=10**11),
    fee=st.integers(min_value=0, max_value=10**10),
    bps=bps_splits(),
)
def test_the_waterfall_accounts_for_every_fen_in_order(
    gain: int, due: int, fee: int, bps: tuple[int, int, int]
) -> None:
    result = waterfall(gain, reimbursement_due=due, advisory_fee=fee, bps=bps)
    positive = max(gain, 0)
    parts = (result.pool_reimbursement, result.advisory_fee, result.bank, result.investment_arm, result.risk_pool)
    assert all(p >= 0 for p in parts)
    assert sum(parts) == positive == result.gain
    assert result.pool_reimbursement == min(positive, due)
    assert result.advisory_fee == min(positive - result.pool_reimbursement, fee)
    rest = positive - result.pool_reimbursement - result.advisory_fee
    assert [result.bank, result.investment_arm, result.risk_pool] == (
        largest_remainder(rest, bps) if rest else [0, 0, 0]
    )
