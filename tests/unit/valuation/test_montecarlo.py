"""Monte Carlo against closed forms: Black-Scholes and the forward-start option (Rubinstein 1991)."""

from __future__ import annotations

import math

import pytest

from tests.unit.valuation.reference import black_scholes
from valuation.pricing import (
    MarketData,
    NextRoundStrike,
    OptionTerms,
    RoundLinkedOption,
    ValuationInputError,
    price_monte_carlo,
)

MARKET = MarketData(100.0, 0.05, 0.30, 0.01)


@pytest.mark.parametrize("call", [True, False])
def test_within_three_standard_errors_of_black_scholes(call: bool) -> None:
    terms = OptionTerms("call" if call else "put", "european", 95.0, 1.5)
    result = price_monte_carlo(terms, MARKET, paths=200_000, seed=20240115)
    exact = black_scholes(call, 100, 95, 0.05, 0.30, 1.5, 0.01)
    assert abs(result.price - exact) < 3 * result.std_error
    assert result.paths == 200_000
    assert 0 < result.std_error < 0.01 * exact


def test_seeded_and_antithetic() -> None:
    terms = OptionTerms("call", "european", 100.0, 1.0)
    first = price_monte_carlo(terms, MARKET, paths=50_000, seed=1)
    assert price_monte_carlo(terms, MARKET, paths=50_000, seed=1) == first
    assert price_monte_carlo(terms, MARKET, paths=50_000, seed=2).price != first.price
    plain = price_monte_carlo(terms, MARKET, paths=50_000, seed=1, antithetic=False)
    assert first.std_error < plain.std_error  # a monotone payoff: antithetic pairs are negatively correlated


def test_next_round_strike_is_a_forward_start_option() -> None:
    # Strike = (1 − δ)·S at the round date t: a forward-start call, worth S·e^(−q·t)·C(1, 1 − δ, T − t)
    # today (Rubinstein 1991): at t the option is (1 − δ)-moneyness on whatever the share is then.
    rule = NextRoundStrike(round_years=1.0, discount=0.2)
    result = price_monte_carlo(RoundLinkedOption("call", 3.0, rule), MARKET, paths=200_000, seed=9)
    exact = 100 * math.exp(-0.01 * 1.0) * black_scholes(True, 1.0, 0.8, 0.05, 0.30, 2.0, 0.01)
    assert abs(result.price - exact) < 3 * result.std_error


def test_round_today_fixes_the_strike_now() -> None:
    rule = NextRoundStrike(round_years=0.0, discount=0.25)
    result = price_monte_carlo(RoundLinkedOption("put", 2.0, rule), MARKET, paths=100_000, seed=4)
    exact = black_scholes(False, 100, 75, 0.05, 0.30, 2.0, 0.01)
    assert abs(result.price - exact) < 3 * result.std_error


def test_a_binding_cap_is_a_fixed_strike() -> None:
    # cap price 1.00 per share, far below 0.8 × any plausible round price: the strike is always the cap
    rule = NextRoundStrike.with_valuation_cap(1.0, 0.2, valuation_cap=10_000_000, fully_diluted_shares=10_000_000)
    assert rule.cap_price == 1.0
    result = price_monte_carlo(RoundLinkedOption("call", 2.0, rule), MARKET, paths=100_000, seed=5)
    exact = black_scholes(True, 100, 1.0, 0.05, 0.30, 2.0, 0.01)
    assert abs(result.price - exact) < 3 * result.std_error + 1e-9


def test_a_cap_never_lowers_a_call() -> None:
    capped = NextRoundStrike(1.0, 0.2, cap_price=90.0)
    uncapped = NextRoundStrike(1.0, 0.2)
    a = price_monte_carlo(RoundLinkedOption("call", 2.0, capped), MARKET, paths=20_000, seed=3)
    b = price_monte_carlo(RoundLinkedOption("call", 2.0, uncapped), MARKET, paths=20_000, seed=3)
    assert a.price >= b.price  # same draws, a strike never higher: path by path


def test_errors_name_the_field() -> None:
    with pytest.raises(ValuationInputError) as caught:
        price_monte_carlo(OptionTerms("put", "american", 1, 1), MARKET, paths=100, seed=1)
    assert caught.value.field == "style"
    with pytest.raises(ValuationInputError) as caught:
        price_monte_carlo(OptionTerms("put", "european", 1, 1), MARKET, paths=1, seed=1)
    assert caught.value.field == "paths"
    with pytest.raises(ValuationInputError) as caught:
        price_monte_carlo(OptionTerms("put", "european", 1, 1), MARKET, paths=10, seed=-1)
    assert caught.value.field == "seed"
    with pytest.raises(ValuationInputError) as caught:
        RoundLinkedOption("call", 1.0, NextRoundStrike(2.0))
    assert caught.value.field == "strike_rule.round_years"
    with pytest.raises(ValuationInputError) as caught:
        NextRoundStrike(1.0, discount=1.0)
    assert caught.value.field == "discount"
