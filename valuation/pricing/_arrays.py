"""Input checks for the vectorized engines: convert to float64 arrays and name the first bad field.

Checks use two reductions (min and max) per array rather than element-wise masks, so that validating
a large batch stays a small part of pricing it; the element-wise mask is built only after a check has
failed, to name the first bad element (docs/performance.md, "Figures that were in code comments").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from valuation.pricing.errors import ValuationInputError
from valuation.pricing.terms import Right

FloatArray = npt.NDArray[np.float64]
"""A float64 array; scalars are 0-d arrays."""

RightLike = Right | str | bool | npt.ArrayLike
"""A right, a list of rights, or booleans (True for a call), broadcast against the other inputs."""


def _first_bad(values: FloatArray, bad: npt.NDArray[np.bool_]) -> str:
    index = np.unravel_index(int(np.argmax(bad)), values.shape) if values.ndim else ()
    where = f" at index {tuple(int(i) for i in index)}" if index else ""
    return f"{values[index]!r}{where}"


def finite(field: str, value: npt.ArrayLike) -> FloatArray:
    """`value` as a float64 array; raises naming `field` if any element is NaN or infinite."""
    values = np.asarray(value, dtype=np.float64)
    if values.size and not np.isfinite(values.min() + values.max()):
        raise ValuationInputError(field, f"must be finite, got {_first_bad(values, ~np.isfinite(values))}")
    return values


def non_negative(field: str, value: npt.ArrayLike) -> FloatArray:
    """`value` as a float64 array; raises naming `field` if any element is negative, NaN or infinite."""
    values = finite(field, value)
    if values.size and not values.min() >= 0.0:
        raise ValuationInputError(field, f"must not be negative, got {_first_bad(values, values < 0.0)}")
    return values


def sign_of_right(right: RightLike) -> FloatArray:
    """+1.0 for a call and −1.0 for a put, element-wise (the φ of the unified BSM formula)."""
    if isinstance(right, Right | str):
        try:
            return np.asarray(1.0 if Right(right) is Right.CALL else -1.0)
        except ValueError:
            raise ValuationInputError("right", f"must be 'call' or 'put', got {right!r}") from None
    values = np.asarray(right)
    if values.dtype == np.bool_:
        return np.where(values, 1.0, -1.0)
    if values.dtype.kind in "US":
        calls = values == Right.CALL.value
        if not np.all(calls | (values == Right.PUT.value)):
            raise ValuationInputError("right", "every element must be 'call' or 'put'")
        return np.where(calls, 1.0, -1.0)
    raise ValuationInputError("right", f"must be a Right, 'call'/'put' strings or booleans, got dtype {values.dtype}")
