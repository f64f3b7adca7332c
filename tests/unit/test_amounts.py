"""Amounts: decimal text <-> integer minor units, exactly, refusing anything ambiguous."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.amounts import (
    MAX_POSTING_MINOR,
    AmountError,
    decimal_to_minor,
    format_minor,
    iso_currency_scale,
    parse_minor,
    parse_plain_decimal,
    to_decimal,
)


@pytest.mark.parametrize(
    ("text", "scale", "minor"),
    [
        ("0", 2, 0),
        ("1", 2, 100),
        ("1.5", 2, 150),
        ("1.50", 2, 150),
        ("1.500", 2, 150),  # trailing zeros beyond the scale say nothing new: accepted
        ("1.5000000", 2, 150),
        ("0.01", 2, 1),
        ("1234.56", 2, 123456),
        ("0001.20", 2, 120),
        ("-7.25", 2, -725),
        ("-0", 2, 0),
        ("-0.00", 2, 0),
        ("42", 0, 42),
        ("42.000", 0, 42),
        ("1.234", 3, 1234),
        ("0.000000000000000001", 18, 1),
    ],
)
def test_parse_minor_exact(text: str, scale: int, minor: int) -> None:
    assert parse_minor(text, scale) == minor


@pytest.mark.parametrize(
    ("text", "scale"),
    [("1.234", 2), ("0.001", 2), ("1.5", 0), ("0.0000000000000000001", 18), ("1.2301", 3), ("-0.005", 2)],
)
def test_parse_minor_refuses_excess_precision(text: str, scale: int) -> None:
    with pytest.raises(AmountError, match="decimal places"):
        parse_minor(text, scale)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+",
        "-",
        "+7.25",
        "+0.00",
        ".",
        "1.",
        ".5",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        " 1",
        "1 ",
        "1\n",
        "\t1",
        "1,000",
        "1_000",
        "1.000,00",
        "--1",
        "+-1",
        "0x10",
        "1.2.3",
        "¥1",
        "１",  # fullwidth digit one
        "١٢",  # Arabic-Indic digits
        "abc",
    ],
)
def test_parse_minor_refuses_junk(text: str) -> None:
    with pytest.raises(AmountError):
        parse_minor(text, 2)


@pytest.mark.parametrize("value", [None, 1, 1.5, Decimal("1")])
def test_parse_minor_refuses_non_strings(value: object) -> None:
    with pytest.raises(AmountError):
        parse_minor(value, 2)  # type: ignore[arg-type]


def test_parse_minor_bounds() -> None:
    # MAX_POSTING_MINOR is 10**17 minor units: at scale 2 that is 10**15 whole units.
    assert parse_minor("1000000000000000.00", 2) == 10**17
    assert parse_minor("-1000000000000000", 2) == -(10**17)
    assert parse_minor("100000000000000000", 0) == 10**17
    with pytest.raises(AmountError, match="too large"):
        parse_minor("1000000000000000.01", 2)
    with pytest.raises(AmountError, match="too large"):
        parse_minor("-100000000000000001", 0)
    with pytest.raises(AmountError, match="too large"):
        parse_minor("9" * 40, 2)


@pytest.mark.parametrize(
    ("minor", "scale", "text"),
    [
        (0, 2, "0.00"),
        (1, 2, "0.01"),
        (-1, 2, "-0.01"),
        (-5, 3, "-0.005"),
        (123450, 2, "1234.50"),
        (-123450, 2, "-1234.50"),
        (100, 2, "1.00"),
        (42, 0, "42"),
        (-42, 0, "-42"),
        (0, 0, "0"),
        (1, 18, "0.000000000000000001"),
        (10**17, 2, "1000000000000000.00"),
    ],
)
def test_format_minor(minor: int, scale: int, text: str) -> None:
    assert format_minor(minor, scale) == text


@pytest.mark.parametrize(
    ("value", "scale", "minor"),
    [
        (Decimal("1.5"), 2, 150),
        (Decimal("1.500"), 2, 150),
        (Decimal("-0.01"), 2, -1),
        (Decimal("1E+3"), 2, 100000),  # an exponent inside a Decimal is fine: the value is exact
        (Decimal("-0"), 2, 0),
        (Decimal("0E-10"), 2, 0),
        (Decimal("12"), 0, 12),
    ],
)
def test_decimal_to_minor(value: Decimal, scale: int, minor: int) -> None:
    assert decimal_to_minor(value, scale) == minor


@pytest.mark.parametrize(
    ("value", "scale"),
    [
        (Decimal("NaN"), 2),
        (Decimal("sNaN"), 2),
        (Decimal("Infinity"), 2),
        (Decimal("-Infinity"), 2),
        (Decimal("0.001"), 2),
        (Decimal("1E-20"), 2),
        (Decimal("0.5"), 0),
        (Decimal("1E+30"), 2),
    ],
)
def test_decimal_to_minor_refuses(value: Decimal, scale: int) -> None:
    with pytest.raises(AmountError):
        decimal_to_minor(value, scale)


def test_to_decimal_is_exact() -> None:
    assert to_decimal(123450, 2) == Decimal("1234.50")
    assert str(to_decimal(123450, 2)) == "1234.50"
    assert str(to_decimal(-7, 3)) == "-0.007"


@pytest.mark.parametrize(("code", "scale"), [("CNY", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3)])
def test_iso_currency_scale(code: str, scale: int) -> None:
    assert iso_currency_scale(code) == scale


@pytest.mark.parametrize("code", ["XYZ", "SHARE", "OPT.ACME", ""])
def test_iso_currency_scale_unknown(code: str) -> None:
    assert iso_currency_scale(code) is None


minor_units = st.integers(min_value=-MAX_POSTING_MINOR, max_value=MAX_POSTING_MINOR)
scales = st.integers(min_value=0, max_value=18)


@given(minor_units, scales)
def test_round_trip_text(minor: int, scale: int) -> None:
    text = format_minor(minor, scale)
    assert parse_minor(text, scale) == minor
    # The text is the exact decimal value: an independent check through Decimal arithmetic.
    assert Decimal(text) * (Decimal(10) ** scale) == minor
    if scale:
        assert len(text.split(".")[1]) == scale
    else:
        assert "." not in text


@given(minor_units, scales)
def test_round_trip_decimal(minor: int, scale: int) -> None:
    assert decimal_to_minor(to_decimal(minor, scale), scale) == minor
    assert decimal_to_minor(Decimal(minor).scaleb(-scale), scale) == minor


@given(minor_units, scales, st.integers(min_value=1, max_value=5))
def test_trailing_zeros_accepted_extra_digit_refused(minor: int, scale: int, extra: int) -> None:
    text = format_minor(minor, scale)
    padded = text + ("0" * extra if scale else "." + "0" * extra)
    assert parse_minor(padded, scale) == minor
    refused = text + ("0" * (extra - 1) + "1" if scale else "." + "0" * (extra - 1) + "1")
    with pytest.raises(AmountError, match="decimal places"):
        parse_minor(refused, scale)


@pytest.mark.parametrize(
    ("text", "value"),
    [("3.00", Decimal("3.00")), ("0.0435", Decimal("0.0435")), ("-12", Decimal(-12)), ("7.5", Decimal("7.5"))],
)
def test_parse_plain_decimal_is_exact(text: str, value: Decimal) -> None:
    parsed = parse_plain_decimal(text)
    assert parsed == value and str(parsed) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        " 3.00",
        "3.00 ",
        "+7.5",
        "+0",
        "1e3",
        "1E+2",
        "NaN",
        "Infinity",
        "1_000",
        "1,000",
        "١٢٣",
        "３",
        ".5",
        "5.",
        "0x10",
        "3.0.0",
    ],
)
def test_parse_plain_decimal_refuses_what_could_show_one_number_and_mean_another(text: str) -> None:
    with pytest.raises(AmountError):
        parse_plain_decimal(text)
