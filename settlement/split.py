"""The proceeds waterfall and the largest-remainder split, exact to the fen.

Waterfall, in order (domain.md):
  1. the risk pool is reimbursed what it paid on this borrower's defaults (open claims included);
  2. the bank's advisory fee, if the deal has one;
  3. the rest split by the deal's basis points (bank / investment arm / risk pool).

Largest remainder: each party first gets floor(amount × bps / 10,000); the fen left over (fewer than the
number of parties) go one each to the parties with the largest remainders. Ties are broken by a fixed
party order (bank, then investment arm, then risk pool), so the same inputs always give the same split,
and the parts always sum exactly to the whole. Amounts are never negative: a gain of zero or a loss
splits as zero for everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BASIS_POINTS = 10_000
PARTIES = ("bank", "investment_arm", "risk_pool")


def largest_remainder(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` (≥ 0, fen) by `weights` (≥ 0, summing to > 0) so the parts sum to `amount`.

    Ties in the remainder go to the earlier weight: the order of `weights` is the tie-break.
    """
    if amount < 0:
        raise ValueError("cannot split a negative amount")
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    shares = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


@dataclass(frozen=True, slots=True)
class Waterfall:
    """Where every fen of a gain goes."""

    gain: int
    pool_reimbursement: int
    advisory_fee: int
    bank: int
    investment_arm: int
    risk_pool: int

    @property
    def to_bank(self) -> int:
        return self.advisory_fee + self.bank

    @property
    def to_pool(self) -> int:
        return self.pool_reimbursement + self.risk_pool

    def check(self) -> None:
        parts = (self.pool_reimbursement, self.advisory_fee, self.bank, self.investment_arm, self.risk_pool)
        if min(parts) < 0 or sum(parts) != max(self.gain, 0):
            raise AssertionError(f"waterfall does not add up: {self}")


def waterfall(gain: int, *, reimbursement_due: int, advisory_fee: int, bps: tuple[int, int, int]) -> Waterfall:
    """Apply the waterfall to `gain` (fen; zero or negative gives all zeros)."""
    if sum(bps) != BASIS_POINTS:
        raise ValueError(f"basis points must sum to {BASIS_POINTS}, not {sum(bps)}")
    left = max(gain, 0)
    reimbursement = min(left, max(reimbursement_due, 0))
    left -= reimbursement
    fee = min(left, max(advisory_fee, 0))
    left -= fee
    bank, arm, pool = largest_remainder(left, bps) if left else (0, 0, 0)
    result = Waterfall(max(gain, 0), reimbursement, fee, bank, arm, pool)
    result.check()
    return result
