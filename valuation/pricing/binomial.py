"""Cox-Ross-Rubinstein binomial trees for European and American options, batched over many options.

The tree: over N steps of dt = T/N the share moves up by u = e^(σ√dt) or down by d = 1/u, so the
lattice recombines and node (i, j) — step i, j up-moves — holds S·u^(2j−i). Values are rolled back
from the payoff at expiry; an American option takes, at every node including today, the larger of
holding on and exercising. The price converges to Black-Scholes at rate O(1/N) for Europeans, with a
saw-tooth that depends on where the strike falls between nodes.

Two choices of the up-probability p are offered, both standard, both converging to the same limit:

- `TreeProbability.RISK_NEUTRAL` (the default; Cox, Ross and Rubinstein 1979, Hull):
  p = (e^((r−q)dt) − d)/(u − d), so that the discounted share is a martingale on the tree itself.
  It needs d < e^((r−q)dt) < u, i.e. enough steps when |r − q| is large against σ.
- `TreeProbability.LOG_DRIFT` (QuantLib's `CoxRossRubinstein` tree in `BinomialVanillaEngine("crr")`):
  p = 1/2 + (r − q − σ²/2)·dt/(2σ√dt), matching the drift of ln S instead. Offered so that the engine
  can be checked against QuantLib node for node.

Implementation: American backward induction is vectorized across nodes *and* across options: node
values for a batch of B options live in one (N+1, B) array and each time step is four in-place numpy
operations on its first i+1 rows, so the Python loop runs N times whatever B is. Every exercise value
is computed once, before the loop (node (i, j) has exponent 2j − i, so each step's nodes are a
strided slice of one array of 2N+1 prices). Batches of 16 or more skip the exercise region, about half
the nodes of a put near the money, without changing a bit of the result (`_roll_back_skipping`); one
option alone takes two numpy calls a step (`_roll_back_one`). A European option needs no loop at all:
without early exercise the roll-back is linear, and its N steps collapse into the binomial expectation
of the payoff, which is the same number in O(N). Batches are cut into cache-sized chunks.
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, xlog1py, xlogy  # type: ignore[import-untyped,unused-ignore]

from valuation.pricing._arrays import FloatArray, RightLike, finite, non_negative, sign_of_right
from valuation.pricing.errors import ValuationInputError
from valuation.pricing.market import MarketData
from valuation.pricing.terms import OptionTerms, Style

__all__ = ["TreeProbability", "crr_price", "price_crr"]

_CHUNK_NODES = 1 << 17
"""Upper bound on B × (N+1) per chunk: an American chunk's work arrays (about 4·(N+1)·B float64, 4 MiB)
stay in cache; chosen by measurement against its neighbours (docs/performance.md, "Figures that were in
code comments")."""

_SCAN_EVERY = 4
"""Steps between two reads of the exercise boundary; in between it is taken to drop a row a step (it
drops about half a row), which keeps it a safe lower bound at a quarter of the reading cost."""

_SKIP_MIN_WIDTH = 16
"""Batches narrower than this take the plain roll-back: their steps cost numpy call overhead more than
arithmetic, so skipping rows saves less than tracking the boundary costs (docs/performance.md, "Figures
that were in code comments", has the measurement that set the width)."""


class TreeProbability(enum.StrEnum):
    """How the up-probability of the CRR tree is chosen (see the module docstring)."""

    RISK_NEUTRAL = "risk_neutral"
    LOG_DRIFT = "log_drift"


def _american_mask(style: Style | str | npt.ArrayLike) -> npt.NDArray[np.bool_]:
    if isinstance(style, Style | str):
        try:
            scalar: npt.NDArray[np.bool_] = np.asarray(Style(style) is Style.AMERICAN)
            return scalar
        except ValueError:
            raise ValuationInputError("style", f"must be 'european' or 'american', got {style!r}") from None
    values = np.asarray(style)
    if values.dtype == np.bool_:
        mask: npt.NDArray[np.bool_] = values
        return mask
    if values.dtype.kind in "US":
        american: npt.NDArray[np.bool_] = np.asarray(values == Style.AMERICAN.value, dtype=np.bool_)
        if not np.all(american | (values == Style.EUROPEAN.value)):
            raise ValuationInputError("style", "every element must be 'european' or 'american'")
        return american
    raise ValuationInputError("style", f"must be a Style, strings or booleans (True = American), got {values.dtype}")


def _flat(values: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    flat: FloatArray = np.broadcast_to(values, shape).ravel()
    return flat


def _lattice(phi: FloatArray, spot: FloatArray, strike: FloatArray, up: FloatArray, steps: int) -> FloatArray:
    """φ·(S·u^e − K) for every exponent e = −N..N, shape (2N+1, B): every node's exercise value.

    Node (i, j) has exponent 2j − i, so step i's nodes are the slice [N−i : N+i+1 : 2] of this one
    array, and nothing is recomputed during the roll-back.
    """
    exponents = np.arange(-steps, steps + 1, dtype=np.float64).reshape((-1,) + (1,) * spot.ndim)
    result: FloatArray = phi * (spot * np.exp(np.log(up) * exponents)) - phi * strike
    return result


def _european(
    phi: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    up: FloatArray,
    p_up: FloatArray,
    discount: FloatArray,
    steps: int,
) -> FloatArray:
    """The tree's European value, D^N · Σ_j C(N, j) p^j (1 − p)^(N−j) · payoff_j.

    This is backward induction unrolled: without early exercise each roll-back step is linear, and N of
    them weight terminal node j by its binomial probability. O(N) per option instead of O(N²).
    """
    payoff = np.maximum(_lattice(phi, spot, strike, up, steps)[::2], 0.0)
    j = np.arange(steps + 1, dtype=np.float64).reshape((-1,) + (1,) * spot.ndim)
    log_weight = (
        gammaln(steps + 1.0) - gammaln(j + 1.0) - gammaln(steps - j + 1.0) + xlogy(j, p_up) + xlog1py(steps - j, -p_up)
    )
    result: FloatArray = discount**steps * np.sum(np.exp(log_weight) * payoff, axis=0)
    return result


def _american(
    phi: FloatArray,
    spot: FloatArray,
    strike: FloatArray,
    up: FloatArray,
    p_up: FloatArray,
    discount: FloatArray,
    steps: int,
) -> FloatArray:
    """Backward induction with early exercise for B options of one right; node values in (N+1, B).

    Nodes run down the first axis and options along the second, so each step works on one contiguous
    block with four in-place operations; the weights broadcast across the options. Every exercise value
    is computed once, up front, in `_lattice`. Batches of at least `_SKIP_MIN_WIDTH` options skip the
    exercise region (`_roll_back_skipping`); fewer options, where numpy's per-call cost dominates, take
    the plain roll-back. Both give the same bits.
    """
    exercise = _lattice(phi, spot, strike, up, steps)
    up_weight, down_weight = p_up * discount, (1.0 - p_up) * discount
    if exercise.ndim == 1:
        return _roll_back_one(exercise, float(up_weight), float(down_weight), steps)
    if exercise.shape[1] < _SKIP_MIN_WIDTH:
        return _roll_back(exercise, up_weight, down_weight, steps)
    if np.all(phi > 0):
        # Reflect: row k counts down-moves. Rolling back with the weights swapped gives the same sums
        # (addition of two terms commutes exactly), and the call's exercise region is now at the bottom.
        exercise = np.ascontiguousarray(exercise[::-1])
        up_weight, down_weight = down_weight, up_weight
    return _roll_back_skipping(exercise, up_weight, down_weight, steps)


def _roll_back(exercise: FloatArray, up_weight: FloatArray, down_weight: FloatArray, steps: int) -> FloatArray:
    """The plain roll-back over every node: four in-place operations a step."""
    values = np.maximum(exercise[::2], 0.0)
    scratch = np.empty_like(values)
    for i in range(steps - 1, -1, -1):
        now, tmp = values[: i + 1], scratch[: i + 1]
        np.multiply(values[1 : i + 2], up_weight, out=tmp)
        now *= down_weight  # reads and writes the same element: safe in place
        now += tmp
        np.maximum(now, exercise[steps - i : steps + i + 1 : 2], out=now)
    result: FloatArray = values[0].copy()
    return result


def _roll_back_one(exercise: FloatArray, up_weight: float, down_weight: float, steps: int) -> FloatArray:
    """The plain roll-back of one option: two numpy calls a step instead of four.

    For one option the cost is numpy's per-call overhead, not arithmetic. `np.correlate` with the kernel
    (down, up) gives every node's holding value V[j]·down + V[j+1]·up in one call (two products and one
    addition per node, as in `_roll_back`: the same bits with this numpy's OpenBLAS; at worst one
    rounding apart where a BLAS fuses the multiply-add), and the maximum with the exercise values writes
    over it in place.
    """
    kernel = np.array([down_weight, up_weight])
    values = np.maximum(exercise[::2], 0.0)
    for i in range(steps - 1, -1, -1):
        holding = np.correlate(values, kernel, "valid")
        values = np.maximum(holding, exercise[steps - i : steps + i + 1 : 2], out=holding)
    result: FloatArray = values[0].copy()
    return result


def _roll_back_skipping(exercise: FloatArray, up_weight: FloatArray, down_weight: FloatArray, steps: int) -> FloatArray:
    """The roll-back over the nodes above the exercise region only (about half of them).

    Below a boundary row `low` every option of the chunk is exercised, so a node there is worth its
    exercise value and is not rolled back. A node whose two children are both exercised is itself
    exercised exactly when E ≥ D·((1−p)·E_down + p·E_up), which depends on its lattice exponent only:
    `_safe_below` evaluates it once, before the loop, with the very float operations of the roll-back.
    So a node is skipped only where the roll-back would have picked its exercise value anyway, and the
    result is bitwise the plain roll-back's. Each step rolls back rows [low − 1, i] (the boundary
    drops about half a row a step) and every `_SCAN_EVERY` steps re-reads the boundary off the rows
    it computed. For a put the exercise region is the bottom of the tree (a call comes reflected).
    Where the condition fails (no early exercise, e.g. a call without dividends) nothing is skipped.
    """
    values = np.maximum(exercise[::2], 0.0)
    scratch = np.empty_like(values)
    safe_below = _safe_below(exercise, up_weight, down_weight)
    low = _exercised_rows(values, exercise[::2], steps + 1)  # at expiry: rows whose payoff is E ≥ 0
    for i in range(steps - 1, -1, -1):
        base = steps - i  # lattice index of row 0 at step i; row j is at base + 2j
        # Rows below `start` have both children exercised (start < low) and a safe exponent.
        start = max(0, min(low - 1, (safe_below - 1 - base) // 2 + 1, i + 1))
        if start > i:
            low = i + 1
            continue
        if start < low:  # children rows [start, low) of step i+1 were skipped: they hold E
            top = min(low, i + 2)
            values[start:top] = exercise[base - 1 + 2 * start : base - 1 + 2 * top : 2]
        now, tmp = values[start : i + 1], scratch[start : i + 1]
        np.multiply(values[start + 1 : i + 2], up_weight, out=tmp)
        now *= down_weight  # reads and writes the same element: safe in place
        now += tmp
        row_exercise = exercise[base + 2 * start : base + 2 * i + 1 : 2]
        np.maximum(now, row_exercise, out=now)
        low = start + (_exercised_rows(now, row_exercise, i + 1 - start) if i % _SCAN_EVERY == 0 else 0)
    result: FloatArray = exercise[steps].copy() if low > 0 else values[0].copy()
    return result


def _safe_below(exercise: FloatArray, up_weight: FloatArray, down_weight: FloatArray) -> int:
    """The first lattice index m ≥ 1 at which a node with both children exercised might not be.

    For every m < the answer and every option, E[m] ≥ E[m−1]·down + E[m+1]·up, computed exactly as the
    roll-back computes a node's holding value, so max(holding, E) is E there.
    """
    holding = exercise[:-2] * down_weight
    holding += exercise[2:] * up_weight
    exercised = np.all(exercise[1:-1] >= holding, axis=tuple(range(1, exercise.ndim)))
    bad = np.flatnonzero(~exercised)
    return int(bad[0]) + 1 if bad.size else exercise.shape[0] - 1


def _exercised_rows(values: FloatArray, exercise_rows: FloatArray, stop: int) -> int:
    """How many leading rows (of the first `stop`) equal their exercise values for every option."""
    row, window = 0, 4
    while row < stop:
        end = min(row + window, stop)
        same = (values[row:end] == exercise_rows[row:end]).all(axis=1)
        if not same.all():
            return row + int(same.argmin())
        row, window = end, window * 2
    return row


def crr_price(
    right: RightLike,
    style: Style | str | npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    rate: npt.ArrayLike,
    volatility: npt.ArrayLike,
    expiry_years: npt.ArrayLike,
    dividend_yield: npt.ArrayLike = 0.0,
    *,
    steps: int,
    probability: TreeProbability | str = TreeProbability.RISK_NEUTRAL,
) -> FloatArray:
    """Binomial (CRR) prices of European and/or American options, element-wise over broadcast inputs.

    Args:
        right: call/put, as in `valuation.pricing.bsm.bsm_price`.
        style: `Style`, "european"/"american", or an array of them or of booleans (True = American).
        spot, strike, rate, volatility, expiry_years, dividend_yield: as in `bsm_price`; volatility must be
            positive where the time to expiry is (a tree with no spread has no nodes to choose between).
        steps: number of time steps N ≥ 1.
        probability: `TreeProbability.RISK_NEUTRAL` (Hull) or `LOG_DRIFT` (QuantLib's "crr").

    Raises:
        ValuationInputError: a bad input, or (field `steps`) too few steps for a probability in [0, 1].
    """
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValuationInputError("steps", f"must be a positive integer, got {steps!r}")
    steps = int(steps)
    try:
        choice = TreeProbability(probability)
    except ValueError:
        raise ValuationInputError("probability", f"must be one of {[p.value for p in TreeProbability]}") from None
    american_mask = _american_mask(style)
    inputs = (
        sign_of_right(right),
        non_negative("spot", spot),
        non_negative("strike", strike),
        finite("rate", rate),
        non_negative("volatility", volatility),
        non_negative("expiry_years", expiry_years),
        finite("dividend_yield", dividend_yield),
    )
    try:
        shape = np.broadcast_shapes(american_mask.shape, *(a.shape for a in inputs))
    except ValueError as error:
        raise ValuationInputError("spot", f"input shapes do not broadcast together: {error}") from None
    american = np.broadcast_to(american_mask, shape).ravel()
    phi, s, k, r, sigma, t, q = (_flat(a, shape) for a in inputs)

    prices = np.maximum(phi * (s - k), 0.0)  # at expiry (T = 0) the option is worth its intrinsic value
    live = t > 0.0
    if not np.any(live):
        return _flat(prices, prices.shape).reshape(shape)
    if not np.all(sigma[live] > 0.0):
        raise ValuationInputError("volatility", "must be positive for a binomial tree with time left to expiry")
    dt = np.where(live, t, 1.0) / steps
    dx = np.where(live, sigma, 1.0) * np.sqrt(dt)
    up = np.exp(dx)
    if choice is TreeProbability.RISK_NEUTRAL:
        p_up = (np.exp((r - q) * dt) - 1.0 / up) / (up - 1.0 / up)
    else:
        p_up = 0.5 + 0.5 * (r - q - 0.5 * sigma * sigma) * dt / dx
    if not np.all((p_up[live] >= 0.0) & (p_up[live] <= 1.0)):
        raise ValuationInputError(
            "steps", f"{steps} steps give an up-probability outside [0, 1] (|r − q| too large against σ); add steps"
        )
    discount = np.exp(-r * dt)
    rows_per_chunk = max(1, _CHUNK_NODES // (steps + 1))
    # Chunks hold one style and, for Americans, one right (a put's and a call's exercise regions lie at
    # opposite ends of the tree, and `_american` skips the region its whole chunk shares).
    groups = [live & ~american, live & american & (phi < 0), live & american & (phi > 0)]
    for is_american, group in zip((False, True, True), groups, strict=True):
        (rows,) = np.nonzero(group)
        for start in range(0, rows.size, rows_per_chunk):
            chunk = rows[start : start + rows_per_chunk]
            engine = _american if is_american else _european
            # One option runs on 0-d parameters and 1-D node arrays: measurably faster than (N+1, 1).
            batch: tuple[int, ...] = () if chunk.size == 1 else chunk.shape
            phi_c, s_c, k_c, up_c, p_c, d_c = (a[chunk].reshape(batch) for a in (phi, s, k, up, p_up, discount))
            prices[chunk] = engine(phi_c, s_c, k_c, up_c, p_c, d_c, steps)
    result: FloatArray = prices.reshape(shape)
    return result


def price_crr(
    terms: OptionTerms,
    market: MarketData,
    steps: int,
    probability: TreeProbability | str = TreeProbability.RISK_NEUTRAL,
) -> float:
    """The CRR engine for one option (European or American): its price after `steps` time steps."""
    return float(
        crr_price(
            terms.right,
            terms.style,
            market.spot,
            terms.strike,
            market.rate,
            market.volatility,
            terms.expiry_years,
            market.dividend_yield,
            steps=steps,
            probability=probability,
        )
    )
