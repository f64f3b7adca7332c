"""Settlement parses names and prices with the project's one parser of each (issue 14): a price with
spaces around it, or a bare deal id without `deals/`, used to slip through settlement's own copies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger.errors import ViolationCollector
from settlement.rules import deal_id_of, parse_decimal


@pytest.mark.parametrize("text", [" 25.00", "25.00 ", "2.5e1", "NaN", "25,00", "２５"])
def test_a_price_that_is_not_plain_decimal_text_is_a_violation(text: str) -> None:
    errors = ViolationCollector()
    assert parse_decimal(text, "price_per_share", errors) == Decimal(0)
    (violation,) = errors.violations
    assert violation.field == "price_per_share" and violation.reason == "INVALID_DECIMAL"


def test_plain_prices_and_the_empty_price() -> None:
    errors = ViolationCollector()
    assert parse_decimal("25.00", "price_per_share", errors) == Decimal("25.00")
    assert parse_decimal("", "price_per_share", errors) == Decimal(0)  # not given: the round's price applies
    assert not errors.violations


@pytest.mark.parametrize(
    "name", ["hz-main", "deals/", "deals/HZ", "deals/hz main", "deal/hz-main", "deals/" + "h" * 41]
)
def test_a_deal_is_named_deals_slash_id(name: str) -> None:
    errors = ViolationCollector()
    assert deal_id_of(name, errors) == ""
    (violation,) = errors.violations
    assert violation.field == "deal" and "is not a deal name" in violation.description


def test_a_deal_name_gives_its_id() -> None:
    errors = ViolationCollector()
    assert deal_id_of("deals/hz-2026-001", errors) == "hz-2026-001" and not errors.violations
