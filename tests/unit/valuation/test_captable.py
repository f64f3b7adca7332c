"""Parsing and validating the cap-table format (the CLI's JSON/YAML file)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from valuation.pricing import CapTable, ShareClass, ValuationInputError, parse_cap_table

SAMPLE: dict[str, Any] = {
    "classes": [
        {"name": "common", "shares": 8000000},
        {
            "name": "A",
            "shares": 2000000,
            "conversion_ratio": 1,
            "preference": {"price": "1.00", "multiple": 1, "participating": False, "seniority": 2},
        },
        {
            "name": "B",
            "shares": 1000000,
            "preference": {
                "price": "3.00",
                "multiple": 1,
                "participating": True,
                "participation_cap": 3,
                "seniority": 1,
            },
        },
    ],
    "option_pools": [{"name": "esop", "shares": 500000, "strike": "0.50"}],
}


def test_parses_the_documented_example() -> None:
    table = parse_cap_table(SAMPLE)
    common, a, b = table.classes
    assert common.preference is None and common.shares == 8_000_000
    assert a.preference is not None and a.preference.amount_per_share == 1.0 and not a.preference.participating
    assert b.preference is not None and b.preference.cap_per_share == 9.0 and b.preference.seniority == 1
    assert b.conversion_ratio == 1.0
    assert table.option_pools[0].strike == 0.5
    assert table.holders == ("common", "A", "B", "esop")


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["classes", 0, "shares"], -1, "classes[0].shares"),
        (["classes", 0, "shares"], True, "classes[0].shares"),
        (["classes", 1, "preference", "price"], "1,00", "classes[1].preference.price"),
        (["classes", 1, "preference", "price"], "-1", "classes[1].preference.price"),
        (["classes", 1, "preference", "participation_cap"], 2, "classes[1].preference.participation_cap"),
        (["classes", 2, "preference", "participation_cap"], 0.5, "classes[2].preference.participation_cap"),
        (["classes", 2, "preference", "seniority"], 0, "classes[2].preference.seniority"),
        (["classes", 2, "preference", "participating"], "yes", "classes[2].preference.participating"),
        (["classes", 2, "preference", "price"], _DELETE, "classes[2].preference.price"),
        (["classes", 2, "conversion_ratio"], 0, "classes[2].conversion_ratio"),
        (["classes", 2, "name"], "A", "classes[2].name"),
        (["classes", 2, "sharez"], 1, "classes[2].sharez"),
        (["option_pools", 0, "name"], "common", "option_pools[0].name"),
        (["option_pools", 0, "strike"], "-0.5", "option_pools[0].strike"),
        (["classes"], [], "classes"),
        (["classes"], _DELETE, "classes"),
    ],
)
def test_errors_name_the_field(path: list[Any], value: Any, field: str) -> None:
    with pytest.raises(ValuationInputError) as caught:
        parse_cap_table(_broken(path, value))
    assert caught.value.field == field


def test_unknown_class_and_direct_construction() -> None:
    table = parse_cap_table(SAMPLE)
    with pytest.raises(ValuationInputError) as caught:
        table.share_class("C")
    assert caught.value.field == "class_name"
    with pytest.raises(ValuationInputError) as caught:
        CapTable((ShareClass("common", -5),))
    assert caught.value.field == "classes[0].shares"
