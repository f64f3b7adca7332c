"""The unified social credit code (统一社会信用代码, GB 32100-2015) that identifies a Chinese company.

Eighteen characters from a 31-symbol alphabet (digits and capitals without I, O, S, V, Z). The last is
a check character: with each of the first seventeen characters' alphabet index multiplied by the weight
3^(i-1) mod 31, the check index is (31 - sum mod 31) mod 31. A typo in any one character, or most
transpositions, changes it; that is why a wrong code is refused at booking instead of surfacing months
later in a regulatory report.
"""

from __future__ import annotations

from ledger.errors import ViolationCollector

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
LENGTH = 18


class InvalidUSCC(ValueError):
    """A string that is not a valid unified social credit code; the message says what is wrong."""


def check_character(first_seventeen: str) -> str:
    """The check character for the first seventeen characters of a code."""
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first_seventeen, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return `code` if it is a valid USCC, else raise InvalidUSCC saying why."""
    if len(code) != LENGTH:
        raise InvalidUSCC(f"must be {LENGTH} characters long (got {len(code)})")
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise InvalidUSCC(
            f"contains {', '.join(repr(ch) for ch in bad)}: "
            "only digits and capitals other than I, O, S, V, Z are allowed"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidUSCC(f"check character is {code[17]!r} but the first 17 characters require {expected!r}")
    return code


def check_uscc(value: str, path: str, errors: ViolationCollector) -> str:
    """`value` validated as a request field: the code, or "" with an INVALID_USCC violation on `path`."""
    try:
        return validate(value)
    except InvalidUSCC as exc:
        errors.add(path, f"{value!r} is not a unified social credit code: {exc}", "INVALID_USCC")
        return ""
