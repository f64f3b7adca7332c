"""Pure encoders: legs to CSV, JSON Lines and Beancount bytes. No I/O, no database.

Every encoder has the same shape: `header()` once, `leg(row)` per leg in (book, seq) order, `footer()`
once; each returns bytes, so the exporter can hash and stream them without holding the file. The
formats, and the Beancount naming rules, are specified in docs/audit.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from typing import Protocol

from audit.model import AccountInfo, LegRow, PostingRow
from ledger.amounts import format_minor
from ledger.canonical import canonical_json

CSV_COLUMNS = (
    "v",
    "book",
    "seq",
    "prev",
    "hash",
    "tx",
    "request_id",
    "value_date",
    "recorded_at",
    "description",
    "metadata",
    "reverses",
    "posting",
    "postings",
    "account",
    "commodity",
    "amount",
)

FORMATS = ("csv", "jsonl", "beancount")


class Encoder(Protocol):
    """Turns legs into the bytes of one export format."""

    format: str

    def header(self) -> bytes: ...

    def leg(self, row: LegRow) -> bytes: ...

    def footer(self) -> bytes: ...


class JsonLinesEncoder:
    """One line per leg: the canonical serialisation of the leg document plus `hash`, then `\\n`."""

    format = "jsonl"

    def header(self) -> bytes:
        return b""

    def leg(self, row: LegRow) -> bytes:
        return canonical_json(row.row()) + b"\n"

    def footer(self) -> bytes:
        return b""


class CsvEncoder:
    """RFC 4180 CSV, UTF-8, CRLF line ends, a header row, then one row per posting of each leg."""

    format = "csv"

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode("utf-8")

    def header(self) -> bytes:
        self._writer.writerow(CSV_COLUMNS)
        return self._take()

    def leg(self, row: LegRow) -> bytes:
        common = [
            row.v,
            row.book,
            row.seq,
            row.prev,
            row.hash,
            row.tx,
            row.request_id,
            row.value_date,
            row.recorded_at,
            row.description,
            canonical_json(dict(row.metadata)).decode("utf-8"),
            row.reverses or "",
        ]
        for index, posting in enumerate(row.postings):
            self._writer.writerow(
                [*common, index, len(row.postings), posting.account, posting.commodity, posting.amount]
            )
        return self._take()

    def footer(self) -> bytes:
        return b""


# ---------------------------------------------------------------------- Beancount

ROOTS = {"asset": "Assets", "liability": "Liabilities", "equity": "Equity", "income": "Income", "expense": "Expenses"}
_BEANCOUNT_CURRENCY = re.compile(r"^[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]\Z")


class NameClash(ValueError):
    """Two toudai accounts would map to the same Beancount account."""


def _word(text: str) -> str:
    """A hyphen-separated run of lowercase letters and digits with each part's first letter capitalised."""
    return "-".join(part[:1].upper() + part[1:] for part in text.split("-"))


def beancount_component(part: str) -> str:
    """One `.`-separated part of an account code (or a party id) as a Beancount account component.

    Lowercase letters, digits and hyphens stay; the first letter after the start or a hyphen becomes a
    capital; `_` becomes `-`; a part that does not start with a letter gets the prefix `X`; an empty part
    is `X`. Reversible for the usual codes (lowercase the result); collisions are refused at export.
    """
    part = part.replace("_", "-")
    word = _word(part)
    if not word or not word[0].isalpha():
        word = "X" + word
    return word


def beancount_account(account: AccountInfo) -> str:
    """`{Root}:{Party}:{Code parts}`, e.g. asset loans.hz001 of bank-hz → Assets:Bank-Hz:Loans:Hz001."""
    parts = [ROOTS[account.type], beancount_component(account.book)]
    parts.extend(beancount_component(p) for p in account.code.split("."))
    return ":".join(parts)


def beancount_commodity(code: str) -> str:
    """A toudai commodity code as a Beancount currency: unchanged when Beancount accepts it (2 to 24
    characters, ending in a capital or digit), else its first 15 valid characters, `-` and the first 8 hex
    digits (capitals) of SHA-256 of the code."""
    if _BEANCOUNT_CURRENCY.match(code):
        return code
    digest = hashlib.sha256(code.encode("utf-8")).hexdigest()[:8].upper()
    return f"{code[:15]}-{digest}"


def beancount_string(text: str) -> str:
    """A Beancount string literal: backslashes and double quotes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BeancountEncoder:
    """A Beancount v3 ledger: options, `commodity` and `open` directives, then one transaction per leg.

    Each transaction carries the leg's chain fields as metadata (`toudai-book`, `toudai-seq`, ...) and
    each posting its toudai account code, so the file can be traced back to the JSON Lines export.
    """

    format = "beancount"

    def __init__(
        self,
        accounts: Iterable[AccountInfo],
        scales: Mapping[str, int],
        *,
        open_date: dt.date,
        title: str = "toudai journal export",
    ) -> None:
        self._scales = dict(scales)
        self._open_date = open_date
        self._title = title
        self._names: dict[tuple[str, str], str] = {}
        self._accounts: list[AccountInfo] = sorted(accounts, key=lambda a: (a.book, a.code))
        taken: dict[str, tuple[str, str]] = {}
        for account in self._accounts:
            name = beancount_account(account)
            clash = taken.get(name)
            if clash is not None:
                raise NameClash(f"accounts {clash[0]}/{clash[1]} and {account.book}/{account.code} both map to {name}")
            taken[name] = (account.book, account.code)
            self._names[(account.book, account.code)] = name

    def header(self) -> bytes:
        lines = [
            "; A toudai journal export in Beancount v3 syntax; the format is specified in docs/audit.md.",
            f"option {beancount_string('title')} {beancount_string(self._title)}",
            "",
        ]
        day = self._open_date.isoformat()
        for code in sorted(self._scales):
            lines.append(f"{day} commodity {beancount_commodity(code)}")
            lines.append(f"  toudai-commodity: {beancount_string(code)}")
            lines.append(f"  toudai-scale: {self._scales[code]}")
        lines.append("")
        for account in self._accounts:
            name = self._names[(account.book, account.code)]
            lines.append(f"{day} open {name} {beancount_commodity(account.commodity)}")
            lines.append(f"  toudai-account: {beancount_string(f'parties/{account.book}/accounts/{account.code}')}")
        lines.append("")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def _posting(self, book: str, posting: PostingRow) -> str:
        name = self._names.get((book, posting.account))
        if name is None:
            raise KeyError(f"account {book}/{posting.account} is not in the export's chart of accounts")
        amount = format_minor(posting.amount, self._scales[posting.commodity])
        return f"  {name}  {amount} {beancount_commodity(posting.commodity)}"

    def leg(self, row: LegRow) -> bytes:
        lines = [f"{row.value_date} * {beancount_string(row.description)}"]
        meta: list[tuple[str, str]] = [
            ("toudai-book", beancount_string(row.book)),
            ("toudai-seq", str(row.seq)),
            ("toudai-prev", beancount_string(row.prev)),
            ("toudai-hash", beancount_string(row.hash)),
            ("toudai-tx", beancount_string(row.tx)),
            ("toudai-request-id", beancount_string(row.request_id)),
            ("toudai-recorded-at", beancount_string(row.recorded_at)),
            ("toudai-metadata", beancount_string(canonical_json(dict(row.metadata)).decode("utf-8"))),
        ]
        if row.reverses:
            meta.append(("toudai-reverses", beancount_string(row.reverses)))
        lines.extend(f"  {key}: {value}" for key, value in meta)
        lines.extend(self._posting(row.book, p) for p in row.postings)
        return ("\n".join(lines) + "\n\n").encode("utf-8")

    def footer(self) -> bytes:
        return b""
