"""Exact amounts: integers in a commodity's minor unit, and the only conversions to and from text.

The ledger never holds a float. An amount is an `int` count of minor units (fen for CNY, single shares
for a share class with scale 0). Decimal text from the edge is converted here, and a value with more
decimal places than the commodity's scale is refused rather than rounded: silently rounding client
input is how ledgers lose fen.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import moneyed

#: Largest absolute amount accepted in one posting, in minor units; leaves headroom in BIGINT sums.
MAX_POSTING_MINOR = 10**17
#: Largest absolute running balance (and pending total) of one account, in minor units: far below BIGINT's
#: 9.2 * 10**18, so no sum the database keeps can overflow.
MAX_BALANCE_MINOR = 10**18

#: An optional minus, digits, an optional '.' and digits. No '+': "+1.00" is refused, so that one amount
#: has one spelling (a signed value in a log or an export is always negative).
_DECIMAL_TEXT = re.compile(r"^-?([0-9]+)(?:\.([0-9]+))?\Z")


class AmountError(ValueError):
    """Decimal text that is not an acceptable amount; the message says why, for a person."""


def parse_minor(text: str, scale: int) -> int:
    """Convert decimal text such as "1234.5" to minor units at `scale` (2 → 123450).

    Accepts an optional minus sign, digits and at most `scale` decimal places. Rejects a leading '+',
    exponents, spaces, thousands separators, NaN and infinities, and anything beyond MAX_POSTING_MINOR.
    """
    if not isinstance(text, str) or not text:
        raise AmountError('is empty; give a decimal number such as "100.00"')
    match = _DECIMAL_TEXT.match(text)
    if match is None:
        raise AmountError(f"{text!r} is not a decimal number (use digits and an optional '.' only, no '+')")
    fraction = match.group(2) or ""
    if len(fraction) > scale:
        significant = fraction.rstrip("0")
        if len(significant) > scale:
            raise AmountError(f"{text!r} has {len(significant)} decimal places; this commodity allows at most {scale}")
        fraction = significant
    whole = int(match.group(1))
    minor = whole * int(10**scale) + (int(fraction.ljust(scale, "0")) if scale else 0)
    if text.startswith("-"):
        minor = -minor
    if abs(minor) > MAX_POSTING_MINOR:
        raise AmountError(f"{text!r} is too large (at most {format_minor(MAX_POSTING_MINOR, scale)})")
    return minor


def parse_plain_decimal(text: str) -> Decimal:
    """Exact decimal text as a Decimal: the one parser for prices, rates and quantities at the edges.

    "Plain" means what a person writes: an optional minus sign, digits, an optional '.' and digits (ASCII
    only). A leading '+', exponents ("1e3"), NaN and infinities, spaces, thousands separators, underscores
    and other scripts' digits are refused, since each would let the text show one number while meaning
    another (or one number in two spellings).
    """
    if not isinstance(text, str) or not text:
        raise AmountError('is empty; give a decimal number such as "3.00"')
    if _DECIMAL_TEXT.match(text) is None:
        try:
            Decimal(text)
        except InvalidOperation:
            raise AmountError(f"{text!r} is not a decimal number") from None
        raise AmountError(f"{text!r} is not a plain decimal number (digits and an optional '.' only, no '+')")
    return Decimal(text)


def format_minor(minor: int, scale: int) -> str:
    """Render minor units as exact decimal text with exactly `scale` places (123450, 2 → "1234.50")."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if scale == 0:
        return sign + digits
    digits = digits.rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


def to_decimal(minor: int, scale: int) -> Decimal:
    """Minor units as an exact Decimal with `scale` places."""
    return Decimal(format_minor(minor, scale))


def decimal_to_minor(value: Decimal, scale: int) -> int:
    """An exact Decimal to minor units; raises AmountError on excess precision or non-finite values."""
    try:
        if not value.is_finite():
            raise AmountError(f"{value} is not a finite number")
        text = format(value, "f")
    except InvalidOperation as exc:  # pragma: no cover - Decimal formatting of finite values succeeds
        raise AmountError(str(exc)) from exc
    return parse_minor(text, scale)


def iso_currency_scale(code: str) -> int | None:
    """The ISO 4217 minor-unit scale of a currency code (CNY → 2, JPY → 0), or None if not ISO."""
    try:
        currency = moneyed.get_currency(code)
    except moneyed.CurrencyDoesNotExist:
        return None
    sub_unit = currency.sub_unit
    scale = 0
    while sub_unit > 1:
        sub_unit //= 10
        scale += 1
    return scale
