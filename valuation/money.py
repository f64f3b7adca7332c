"""From a float64 value per share to money on the books: one explicit rounding, half up, to the fen.

The pricing engines return float64. Before a value touches money it becomes text once: the shortest
decimal that round-trips to the same float (`repr`), which is what the API returns as
`value_per_share` and what the valuation record stores. The fair value is then computed exactly in
Decimal as quantity × that text and rounded **once**, `ROUND_HALF_UP`, to 0.01 CNY. Anyone holding a
valuation record can recompute the booked amount from it to the fen.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["FEN", "fair_value_fen", "value_text"]

FEN = Decimal("0.01")


def value_text(value: float) -> str:
    """The shortest decimal text of a non-negative float64 value (negative zero and tiny negatives → "0")."""
    if not math.isfinite(value):
        raise ValueError(f"a value per share must be finite, got {value!r}")
    if value <= 0.0:
        return "0"
    text = repr(float(value))
    if "e" in text or "E" in text:  # plain notation only: 1e-07 → 0.0000001
        text = format(Decimal(text), "f")
    return text


def fair_value_fen(value_per_share: str, quantity: int) -> int:
    """quantity × value_per_share in CNY, rounded once, half up, to the fen; returned in fen."""
    amount = (Decimal(value_per_share) * quantity).quantize(FEN, rounding=ROUND_HALF_UP)
    return int(amount * 100)
