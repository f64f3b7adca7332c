"""The strict grammar of exported fields: what the offline verifier accepts, and nothing else.

An export is checked against the bytes its hashes cover, so the verifier must read every field exactly
as the exporter wrote it: a file that *shows* something other than what was hashed (an amount of
`1234567.9` read as 1234567, `true` read as 1, a key given twice of which a reader keeps the last, CSV
digits in another script) is a **FORMAT** fault, never silently read. docs/audit.md, "Verifying an
export", states the grammar per format; this module holds the pieces the readers share. Each check
raises `GrammarError` naming the field and what was found.
"""

from __future__ import annotations

import re
from typing import Any

# Integers in CSV fields and Beancount metadata: ASCII digits only, no sign on positives, no leading
# zeros, no whitespace, `+` or `_` (what Python's int() would otherwise accept).
INTEGER = re.compile(r"(?:0|-?[1-9][0-9]*)\Z", re.ASCII)
NATURAL = re.compile(r"(?:0|[1-9][0-9]*)\Z", re.ASCII)
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.([0-9]+)\Z", re.ASCII)


class GrammarError(ValueError):
    """A field that is not spelled as the export format prescribes."""

    def __init__(self, where: str, found: str, *, book: str = "", seq: int = 0) -> None:
        super().__init__(f"{where}: {found}" if where else found)
        self.where = where
        self.found = found
        self.book = book  # the leg it concerns, when known
        self.seq = seq


def shown(value: Any, limit: int = 40) -> str:
    """A short, unambiguous rendering of a found value for a fault message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def json_type(value: Any) -> str:
    """The JSON type of a decoded value, as a fault message names it."""
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) is int:
        return "an integer"
    if type(value) is float:
        return "a number with a fraction or exponent"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    return "an object"


def json_int(value: Any, where: str) -> int:
    """A JSON integer (not a float, a boolean or a string of digits)."""
    if type(value) is not int:
        raise GrammarError(where, f"expected a JSON integer, found {json_type(value)} {shown(value)}")
    return value


def json_str(value: Any, where: str) -> str:
    if type(value) is not str:
        raise GrammarError(where, f"expected a JSON string, found {json_type(value)} {shown(value)}")
    return value


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for json: an object that names a key twice is refused (no last-wins)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise GrammarError("", f"the key {shown(key)} appears more than once in one object")
            seen.add(key)
    return document


def text_int(text: str, where: str, *, signed: bool = False) -> int:
    """A decimal integer field: `0|[1-9][0-9]*` (with an optional `-` when `signed`), ASCII only."""
    if (INTEGER if signed else NATURAL).match(text) is None:
        expected = "0|-?[1-9][0-9]*" if signed else "0|[1-9][0-9]*"
        raise GrammarError(where, f"found {shown(text)}, expected an integer matching {expected} in ASCII digits")
    return int(text)


def amount_minor(text: str, scale: int) -> int | None:
    """`decimal_minor` without the fault: the minor units, or None where `decimal_minor` raises."""
    pattern = _AMOUNTS.get(scale)
    if pattern is None:
        pattern = _AMOUNTS[scale] = (
            re.compile(r"(?:0|-?[1-9][0-9]*)\Z", re.ASCII)
            if scale == 0
            else re.compile(r"(?!-0\.0{%d}\Z)-?(?:0|[1-9][0-9]*)\.[0-9]{%d}\Z" % (scale, scale), re.ASCII)  # noqa: UP031
        )
    return None if pattern.match(text) is None else int(text.replace(".", "", 1))


_AMOUNTS: dict[int, re.Pattern[str]] = {}
"""Per scale: the one spelling of an amount with exactly that many decimals (`amount_minor`)."""


def decimal_minor(text: str, scale: int, where: str) -> int:
    """An amount written with exactly `scale` fractional digits (`200000.00`, `-0.05`, `100000` for
    scale 0) as minor units; the exporter's spelling (ledger.amounts.format_minor) and nothing else."""
    if scale == 0:
        return text_int(text, where, signed=True)
    match = _DECIMAL.match(text)
    if match is None or len(match.group(1)) != scale or text in ("-0." + "0" * scale,):
        raise GrammarError(where, f"found {shown(text)}, expected an amount with exactly {scale} decimals")
    return int(text.replace(".", "", 1))
