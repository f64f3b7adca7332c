"""The CRR tree against Hull's worked American put, Black-Scholes convergence, and its input checks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.unit.valuation.reference import black_scholes
from valuation.pricing import MarketData, OptionTerms, TreeProbability, ValuationInputError, crr_price, price_crr


@pytest.mark.parametrize(("steps", "expected"), [(5, 4.49), (30, 4.263), (50, 4.272), (100, 4.278), (500, 4.283)])
def test_hull_american_put(steps: int, expected: float) -> None:
    # Hull, Options, Futures and Other Derivatives, the American put of figure 21.3 and the text after it:
    # S=50, K=50, r=10%, σ=40%, T=5 months.
    price = crr_price("put", "american", 50, 50, 0.10, 0.40, 5 / 12, steps=steps)
    assert round(float(price), len(str(expected).split(".")[1])) == expected


@pytest.mark.parametrize("probability", list(TreeProbability))
@pytest.mark.parametrize("call", [True, False])
def test_european_converges_to_black_scholes(probability: TreeProbability, call: bool) -> None:
    exact = black_scholes(call, 100, 110, 0.04, 0.3, 1.5, 0.02)
    errors = [
        abs(
            float(crr_price(call, "european", 100, 110, 0.04, 0.3, 1.5, 0.02, steps=n, probability=probability)) - exact
        )
        for n in (100, 1000, 5000)
    ]
    assert errors[-1] < 2e-3 * exact
    assert errors[-1] < errors[0]


def test_american_call_without_dividends_is_never_exercised_early() -> None:
    kwargs = {"steps": 300}
    american = crr_price("call", "american", 42, 40, 0.1, 0.2, 0.5, 0.0, **kwargs)
    european = crr_price("call", "european", 42, 40, 0.1, 0.2, 0.5, 0.0, **kwargs)
    assert float(american) == pytest.approx(float(european), rel=1e-12)


def test_batch_equals_one_by_one() -> None:
    rng = np.random.default_rng(3)
    n = 50
    spot, strike = rng.uniform(20, 80, n), rng.uniform(20, 80, n)
    vol, years = rng.uniform(0.1, 0.8, n), rng.uniform(0.05, 3, n)
    styles = np.where(rng.random(n) < 0.5, "american", "european")
    calls = rng.random(n) < 0.5
    batch = crr_price(calls, styles, spot, strike, 0.05, vol, years, 0.01, steps=200)
    single = [
        crr_price(bool(c), str(st), s, k, 0.05, v, t, 0.01, steps=200)
        for c, st, s, k, v, t in zip(calls, styles, spot, strike, vol, years, strict=True)
    ]
    np.testing.assert_allclose(batch, np.array(single, dtype=float), rtol=1e-12)


def test_expiry_is_intrinsic_and_engine_on_terms() -> None:
    assert float(crr_price("put", "american", 38, 40, 0.1, 0.0, 0.0, steps=10)) == 2.0
    terms = OptionTerms("put", "american", 50, 5 / 12)
    assert round(price_crr(terms, MarketData(50, 0.1, 0.4), steps=5), 2) == 4.49


def test_errors_name_the_field() -> None:
    with pytest.raises(ValuationInputError) as caught:
        crr_price("put", "american", 50, 50, 0.1, 0.4, 1.0, steps=0)
    assert caught.value.field == "steps"
    with pytest.raises(ValuationInputError) as caught:
        crr_price("put", "american", 50, 50, 0.1, 0.0, 1.0, steps=10)
    assert caught.value.field == "volatility"
    with pytest.raises(ValuationInputError) as caught:  # |r − q|·dt > σ√dt: a negative probability
        crr_price("call", "european", 50, 50, 0.5, 0.01, 10.0, steps=2)
    assert caught.value.field == "steps"
    with pytest.raises(ValuationInputError) as caught:
        crr_price("put", "bermudan", 50, 50, 0.1, 0.4, 1.0, steps=10)
    assert caught.value.field == "style"
    with pytest.raises(ValuationInputError) as caught:
        crr_price("put", "american", -50, 50, 0.1, 0.4, 1.0, steps=10)
    assert caught.value.field == "spot"


@pytest.mark.parametrize("probability", list(TreeProbability))
def test_skipping_the_exercise_region_gives_the_full_roll_backs_bits(
    probability: TreeProbability, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 16+ Americans roll back only above the exercise boundary (valuation/binomial.py). That is
    # exact, not an approximation: the same batches through the plain roll-back give the same bits. Puts
    # and calls (the reflected tree), dividends, negative rates, deep in and out of the money.
    from valuation.pricing import binomial

    rng = np.random.default_rng(11)
    cases = []
    for _ in range(12):
        n = int(rng.integers(16, 70))
        calls = bool(rng.random() < 0.5) if rng.random() < 0.5 else rng.random(n) < 0.5
        rate = float(rng.uniform(-0.03, 0.1))
        args = (
            rng.uniform(5, 300, n),
            rng.uniform(20, 150, n),
            rate,
            rng.uniform(0.15, 0.8, n),
            rng.uniform(0.01, 3, n),
            rng.uniform(-0.02, 0.08, n) if rng.random() < 0.5 else 0.0,
        )
        cases.append((calls, args, int(rng.integers(20, 400))))
    skipping = [crr_price(c, "american", *a, steps=s, probability=probability) for c, a, s in cases]
    monkeypatch.setattr(binomial, "_SKIP_MIN_WIDTH", 1 << 30)
    plain = [crr_price(c, "american", *a, steps=s, probability=probability) for c, a, s in cases]
    for fast, full in zip(skipping, plain, strict=True):
        np.testing.assert_array_equal(fast, full)
