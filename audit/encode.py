"""Pure encoders: legs to CSV, JSON Lines and Beancount bytes. No I/O, no database.

Every encoder has the same shape: `header()` once, `legs(book, batch)` per batch of one book's legs in
(book, seq) order, `footer()` once; each returns bytes, so the exporter can hash and stream them without
holding the file. Encoders work on `ExportLeg` tuples of text (ledger.journal_export) and encode what
repeats (an account's name, code and commodity) once, since they run once per leg of the journal. The
formats, and the Beancount naming rules, are specified in docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from audit.leg_text import quote
from audit.model import AccountInfo
from ledger.amounts import format_minor
from ledger.canonical import ENCODING_VERSION
from ledger.journal_export import ExportLeg

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
    """Turns batches of one book's legs into the bytes of one export format."""

    format: str

    def header(self) -> bytes: ...

    def legs(self, book: str, legs: Sequence[ExportLeg]) -> bytes: ...

    def footer(self) -> bytes: ...


UNKNOWN = "?"  # the code and commodity shown for a posting whose account row is gone (a tampered database)


def accounts_by_book(accounts: Iterable[tuple[str, AccountInfo]]) -> dict[str, dict[str, AccountInfo]]:
    """(account id text, info) pairs grouped by book: a posting is looked up among its own book's accounts."""
    books: dict[str, dict[str, AccountInfo]] = {}
    for key, info in accounts:
        books.setdefault(info.book, {})[key] = info
    return books


class _ByAccount:
    """Per book, per account id: a pre-encoded piece of text, built on first use."""

    def __init__(self, accounts: Iterable[tuple[str, AccountInfo]], build: Callable[[AccountInfo | None], Any]) -> None:
        self._accounts = accounts_by_book(accounts)
        self._build = build
        self._books: dict[str, dict[str, Any]] = {}

    def book(self, book: str) -> dict[str, Any]:
        found = self._books.get(book)
        if found is None:
            found = {key: self._build(info) for key, info in self._accounts.get(book, {}).items()}
            self._books[book] = found
        return found

    def missing(self) -> Any:
        return self._build(None)


class JsonLinesEncoder:
    """One line per leg: the canonical serialisation of the leg document plus `hash`, then `\\n`.

    The line is written directly (audit.leg_text's template, inlined: this loop runs once per leg), each
    account's `{"account":...,"amount":` and `,"commodity":...}` pieces encoded once.
    """

    format = "jsonl"

    def __init__(self, accounts: Iterable[tuple[str, AccountInfo]]) -> None:
        def pieces(info: AccountInfo | None) -> tuple[str, str]:
            code, commodity = (info.code, info.commodity) if info else (UNKNOWN, UNKNOWN)
            return f'{{"account":{quote(code)},"amount":', f',"commodity":{quote(commodity)}}}'

        self._pieces = _ByAccount(accounts, pieces)

    def header(self) -> bytes:
        return b""

    def legs(self, book: str, legs: Sequence[ExportLeg]) -> bytes:
        q = quote
        pieces = self._pieces.book(book)
        missing = self._pieces.missing()
        head = f'{{"book":{q(book)},"description":'
        v = ENCODING_VERSION
        lines = []
        for seq, prev, hash_, tx, request_id, value_date, recorded_at, description, metadata, reverses, ps in legs:
            items = []
            for account, amount in ps:
                before, after = pieces.get(account) or missing
                items.append(f"{before}{amount}{after}")
            lines.append(
                f'{head}{q(description)},"hash":{q(hash_)},"metadata":{metadata},"postings":[{",".join(items)}]'
                f',"prev":{q(prev)},"recorded_at":{q(recorded_at)},"request_id":{q(request_id)}'
                f',"reverses":{"null" if reverses is None else q(reverses)},"seq":{seq},"tx":{q(tx)},"v":{v}'
                f',"value_date":{q(value_date)}}}\n'
            )
        return "".join(lines).encode("utf-8")

    def footer(self) -> bytes:
        return b""


_CSV_SPECIAL = re.compile('[,"\r\n]').search


def csv_field(text: str) -> str:
    """One CSV field as `csv.writer(quoting=QUOTE_MINIMAL, lineterminator="\\r\\n")` writes it in a row of
    several fields: quoted (with `"` doubled) only when it holds a comma, a quote, CR or LF."""
    if _CSV_SPECIAL(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


class CsvEncoder:
    """RFC 4180 CSV, UTF-8, CRLF line ends, a header row, then one row per posting of each leg.

    Rows are written directly rather than through `csv.writer` (much slower per row; docs/performance.md): the
    twelve leg columns are quoted once per leg and shared by its posting rows, each account's code and
    commodity once per export. tests/unit/test_audit_leg_text.py checks the bytes against csv.writer.
    """

    format = "csv"

    def __init__(self, accounts: Iterable[tuple[str, AccountInfo]]) -> None:
        def columns(info: AccountInfo | None) -> str:
            code, commodity = (info.code, info.commodity) if info else (UNKNOWN, UNKNOWN)
            return f"{csv_field(code)},{csv_field(commodity)},"

        self._columns = _ByAccount(accounts, columns)

    def header(self) -> bytes:
        return (",".join(csv_field(c) for c in CSV_COLUMNS) + "\r\n").encode("utf-8")

    def legs(self, book: str, legs: Sequence[ExportLeg]) -> bytes:
        f = csv_field
        columns = self._columns.book(book)
        missing = self._columns.missing()
        start = f"{ENCODING_VERSION},{f(book)},"
        rows = []
        for seq, prev, hash_, tx, request_id, value_date, recorded_at, description, metadata, reverses, ps in legs:
            common = (
                f"{start}{seq},{f(prev)},{f(hash_)},{f(tx)},{f(request_id)},{f(value_date)},{f(recorded_at)},"
                f"{f(description)},{f(metadata)},{f(reverses) if reverses else ''},"
            )
            count = len(ps)
            for index, (account, amount) in enumerate(ps):
                rows.append(f"{common}{index},{count},{columns.get(account) or missing}{amount}\r\n")
        return "".join(rows).encode("utf-8")

    def footer(self) -> bytes:
        return b""


# ---------------------------------------------------------------------- Beancount

OPERATING_CURRENCY = "CNY"  # the Beancount file's `option "operating_currency"`
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
        accounts: Iterable[tuple[str, AccountInfo]],
        scales: Mapping[str, int],
        *,
        open_date: dt.date,
        title: str = "toudai journal export",
    ) -> None:
        """`accounts` are (account id text, info) of the exported books; NameClash if two names collide."""
        self._scales = dict(scales)
        self._open_date = open_date
        self._title = title
        pairs = list(accounts)
        self._names: dict[tuple[str, str], str] = {}
        self._accounts: list[AccountInfo] = sorted((info for _, info in pairs), key=lambda a: (a.book, a.code))
        taken: dict[str, tuple[str, str]] = {}
        for account in self._accounts:
            name = beancount_account(account)
            clash = taken.get(name)
            if clash is not None:
                raise NameClash(f"accounts {clash[0]}/{clash[1]} and {account.book}/{account.code} both map to {name}")
            taken[name] = (account.book, account.code)
            self._names[(account.book, account.code)] = name
        self._postings = _ByAccount(pairs, self._posting_pieces)
        self._amounts: dict[tuple[int, int], str] = {}  # (minor units, scale) → decimal text

    def _posting_pieces(self, info: AccountInfo | None) -> tuple[str, int, str] | None:
        """`  {name}  `, the scale and ` {currency}\\n` of a posting line; None for an unknown account."""
        if info is None or info.commodity not in self._scales:
            return None
        name = self._names[(info.book, info.code)]
        return f"  {name}  ", self._scales[info.commodity], f" {beancount_commodity(info.commodity)}\n"

    def header(self) -> bytes:
        lines = [
            "; A toudai journal export in Beancount v3 syntax; the format is specified in docs/audit.md.",
            f"option {beancount_string('title')} {beancount_string(self._title)}",
            # fava (and bean-report) want one; toudai's books are kept in CNY (docs/audit.md).
            f"option {beancount_string('operating_currency')} {beancount_string(OPERATING_CURRENCY)}",
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

    def legs(self, book: str, legs: Sequence[ExportLeg]) -> bytes:
        b = beancount_string
        pieces = self._postings.book(book)
        amounts = self._amounts
        meta_book = f"\n  toudai-book: {b(book)}\n  toudai-seq: "
        out = []
        for seq, prev, hash_, tx, request_id, value_date, recorded_at, description, metadata, reverses, ps in legs:
            out.append(
                f"{value_date} * {b(description)}{meta_book}{seq}\n  toudai-prev: {b(prev)}\n"
                f"  toudai-hash: {b(hash_)}\n  toudai-tx: {b(tx)}\n  toudai-request-id: {b(request_id)}\n"
                f"  toudai-recorded-at: {b(recorded_at)}\n  toudai-metadata: {b(metadata)}\n"
            )
            if reverses:
                out.append(f"  toudai-reverses: {b(reverses)}\n")
            for account, amount in ps:
                piece = pieces.get(account)
                if piece is None:
                    raise KeyError(f"account {account} of {book} is not in the export's chart of accounts")
                before, scale, after = piece
                text = amounts.get((amount, scale))
                if text is None:
                    text = format_minor(amount, scale)
                    if len(amounts) < 65_536:  # amounts repeat (fees, instalments, transfers); keep it bounded
                        amounts[(amount, scale)] = text
                out.append(f"{before}{text}{after}")
            out.append("\n")
        return "".join(out).encode("utf-8")

    def footer(self) -> bytes:
        return b""
