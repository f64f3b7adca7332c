"""Reading a Beancount export back into legs, with the standard library only.

The exporter (audit.encode.BeancountEncoder) writes a small, fixed subset of Beancount: comment lines,
`option` lines, `commodity` directives (metadata `toudai-commodity`, `toudai-scale`), `open`
directives (metadata `toudai-account`), and one transaction per leg whose metadata carries the chain
fields (`toudai-book`, `toudai-seq`, ...) and whose postings name the opened accounts. That is enough to
rebuild every leg document: the transaction's date is the value date, its narration the description,
each posting's account maps through its `open` directive back to the toudai account code, its amount
(with exactly the commodity's scale) back to minor units. The offline verifier then checks those legs
like those of a CSV or JSON Lines export. Anything outside the subset, or spelled otherwise than the
exporter spells it, is a FORMAT fault (docs/audit.md, "Verifying an export").
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from audit.encode import ROOTS, beancount_commodity, beancount_component
from audit.grammar import GrammarError, amount_minor, decimal_minor, shown, text_int

_DATE = r"([0-9]{4}-[0-9]{2}-[0-9]{2})"
_TRANSACTION = re.compile(_DATE + r' \* (".*)\Z', re.S)
_COMMODITY = re.compile(_DATE + r" commodity (\S+)\Z")
_OPEN = re.compile(_DATE + r" open (\S+) (\S+)\Z")
_OPTION = re.compile(r'option (".*)\Z', re.S)
_META = re.compile(r"  ([a-z][a-z-]*): (.*)\Z", re.S)
_POSTING = re.compile(r"  ([A-Z][^ ]*)  (\S+) (\S+)\Z")
_ACCOUNT = re.compile(r"parties/([^/]+)/accounts/(.+)\Z", re.S)
_STRING = re.compile(r'"([^"\\]*(?:\\[\\"][^"\\]*)*)"')
_ESCAPE = re.compile(r"\\([\\\"])")

TRANSACTION_KEYS = (
    "toudai-book",
    "toudai-seq",
    "toudai-prev",
    "toudai-hash",
    "toudai-tx",
    "toudai-request-id",
    "toudai-recorded-at",
    "toudai-metadata",
)
_LAYOUT = re.compile(
    "".join(
        f"  {key}: " + ("(0|[1-9][0-9]*)" if key == "toudai-seq" else r'"([^"\\\n]*(?:\\[\\"][^"\\\n]*)*)"') + "\n"
        for key in TRANSACTION_KEYS
    )
    + r"\Z"
)
_PLAIN = r'"([^"\\\n]*)"'  # a string literal without escapes or line feeds: what the exporter writes almost always
_ENTRY = re.compile(
    _DATE
    + r" \* "
    + _PLAIN
    + r"\n"
    + "".join(f"  {key}: " + ("(0|[1-9][0-9]*)" if key == "toudai-seq" else _PLAIN) + r"\n" for key in TRANSACTION_KEYS)
    + r"((?:  [A-Z][^ \n]*  \S+ \S+\n)*)(\n|\Z)"
)
"""A whole transaction in the exporter's own layout, from its date to the blank line after its postings (or
the end of the file): no escapes, no line feeds in strings, no `toudai-reverses`. Only a fast path: an entry
it does not match, or whose postings do not check out, is read again line by line by the general reader,
which accepts or refuses it and says why (so strictness is that reader's)."""
_POSTINGS = re.compile(r"  ([A-Z][^ \n]*)  (\S+) (\S+)\n")
_BUFFER = 1 << 16
"""Characters kept ahead of the reading position: an entry longer than this goes through the general reader."""
NUMBER_KEYS = frozenset(("toudai-seq", "toudai-scale"))
OPTIONS = frozenset(("title", "operating_currency"))


@dataclass(frozen=True, slots=True)
class BeancountLeg:
    """One transaction of the export, read back into the fields of its leg document."""

    line: int
    book: str
    seq: int
    prev: str
    hash: str
    tx: str
    request_id: str
    value_date: str
    recorded_at: str
    description: str
    metadata: str
    reverses: str | None
    postings: list[tuple[str, str, int]]  # (account code, commodity code, minor units)


class _Lines:
    """The file's lines without their `\\n`, numbered from 1; a string literal may span several.

    The text is read in blocks into a buffer, so that a whole transaction can be matched at once
    (`entry`): one regular expression instead of a dozen lines read and matched one by one."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self._stream = stream
        self.number = 0
        self._pushed: str | None = None
        self._unread: list[str] = []  # raw lines (with their \n) to read again, last first
        self._buffer = ""
        self._at = 0  # reading position in the buffer
        self._ended = False  # the stream has nothing more

    def _fill(self) -> None:
        """At least `_BUFFER` characters ahead of the position, or everything that is left."""
        while not self._ended and len(self._buffer) - self._at < _BUFFER:
            block = self._stream.read(_BUFFER)
            if not block:
                self._ended = True
            self._buffer = self._buffer[self._at :] + block
            self._at = 0

    def _more(self) -> None:
        """One more block after what the buffer holds, however much that is (the end of a long line)."""
        block = self._stream.read(_BUFFER)
        if not block:
            self._ended = True
        self._buffer = self._buffer[self._at :] + block
        self._at = 0

    def _readline(self) -> str:
        """The next raw line with its `\\n` (without one at the end of a file that lacks it), "" at the end."""
        if self._unread:
            return self._unread.pop()
        end = self._buffer.find("\n", self._at)
        while end < 0 and not self._ended:
            searched = len(self._buffer) - self._at
            self._more()  # not `_fill`: a line longer than the buffer must still grow it
            end = self._buffer.find("\n", searched)
        stop = len(self._buffer) if end < 0 else end + 1
        line = self._buffer[self._at : stop]
        self._at = stop
        return line

    def entry(self) -> re.Match[str] | None:
        """The transaction at the reading position as one `_ENTRY` match, consumed and counted; None (nothing
        consumed) when the text there is not one in the exporter's own layout."""
        if self._pushed is not None or self._unread:
            return None
        self._fill()
        match = _ENTRY.match(self._buffer, self._at)
        if match is None or (match.end() == len(self._buffer) and not self._ended):
            return None  # not the layout, or cut off by the buffer: the general reader decides
        self._at = match.end()
        self.number += self._buffer.count("\n", match.start(), match.end())
        return match

    def next(self) -> str | None:
        if self._pushed is not None:
            line, self._pushed = self._pushed, None
            return line
        line = self._readline()
        if not line:
            return None
        self.number += 1
        if not line.endswith("\n"):
            raise GrammarError(f"line {self.number}", "the file does not end with a line feed")
        return line[:-1]

    def push(self, line: str) -> None:
        self._pushed = line

    def unread(self, text: str, number: int) -> None:
        """Put back what `entry` consumed (raw text), so that it is read again from line `number` + 1."""
        self._at -= len(text)
        self.number = number

    def block(self, pattern: re.Pattern[str], count: int) -> re.Match[str] | None:
        """The next `count` lines matched as one text by `pattern`; when they do not match, they are
        left to be read again one by one."""
        if self._pushed is not None:
            return None
        raw = [self._readline() for _ in range(count)]
        match = pattern.match("".join(raw))
        if match is None:
            self._unread.extend(reversed(raw))
        else:
            self.number += count
        return match

    def string(self, text: str, where: str) -> tuple[str, str]:
        """The string literal at the start of `text` (continued on the next lines if it holds line
        feeds), unescaped, and what follows it on its last line."""
        while True:
            match = _STRING.match(text)
            if match is not None:
                value = match.group(1)
                return _ESCAPE.sub(r"\1", value) if "\\" in value else value, text[match.end() :]
            if not text.startswith('"') or re.match(r'"(?:[^"\\]|\\[\\"])*\\(?:[^\\"]|\Z)', text):
                raise GrammarError(
                    where, f'found {shown(text)}, expected a string literal with only \\\\ and \\" escaped'
                )
            following = self._readline()
            if not following:
                raise GrammarError(where, "a string literal is not closed before the end of the file")
            self.number += 1
            text = text + "\n" + following.removesuffix("\n")


def _whole_string(lines: _Lines, text: str, where: str) -> str:
    value, rest = lines.string(text, where)
    if rest:
        raise GrammarError(where, f"unexpected text {shown(rest)} after the string")
    return value


def _metadata(
    lines: _Lines, keys: tuple[str, ...], optional: tuple[str, ...] = (), found: dict[str, str] | None = None
) -> dict[str, str]:
    """The `  key: value` lines after a directive: exactly `keys` (plus any of `optional`), each once.
    Values are raw text: a string literal's content, or a number as written. `found`: those already read."""
    found = {} if found is None else found
    while True:
        line = lines.next()
        if line is None:
            break
        match = _META.match(line)
        if match is None:
            lines.push(line)
            break
        key, value = match.groups()
        if key in found or (key not in keys and key not in optional) or value.startswith('"') == (key in NUMBER_KEYS):
            where = f"line {lines.number}, {key}"
            if key in found:
                raise GrammarError(where, "appears more than once")
            if key not in keys and key not in optional:
                raise GrammarError(where, "is not a metadata key of the toudai export")
            expected = "a number" if key in NUMBER_KEYS else "a string"
            raise GrammarError(where, f"found {shown(value)}, expected {expected}")
        if key in NUMBER_KEYS:
            found[key] = value
        elif value.count('"') == 2 and value[-1] == '"' and "\\" not in value:  # the usual plain string
            found[key] = value[1:-1]
        else:
            found[key] = _whole_string(lines, value, f"line {lines.number}, {key}")
    missing = [k for k in keys if k not in found]
    if missing:
        raise GrammarError(f"line {lines.number}", f"metadata {', '.join(missing)} missing")
    return found


@dataclass(slots=True)
class _Account:
    book: str
    code: str
    currency: str


def read_beancount(stream: io.TextIOBase, scales: dict[str, int]) -> Iterator[BeancountLeg | GrammarError]:
    """Every transaction of the export in file order as a `BeancountLeg`, or a `GrammarError` for a
    directive or transaction that is not in the exporter's subset (reading goes on after it).

    `scales` are the manifest's commodities (code → scale); a commodity directive must agree.
    """
    lines = _Lines(stream)
    currencies: dict[str, tuple[str, int]] = {}  # Beancount currency → (toudai code, scale)
    accounts: dict[str, _Account] = {}  # Beancount account name → toudai account
    while True:
        start = lines.number
        entry = lines.entry()
        if entry is not None:
            leg = _fast_transaction(entry, start + 1, accounts, currencies)
            if leg is not None:
                yield leg
                continue
            lines.unread(entry.group(0), start)  # the general reader reads it again and says what is wrong
        try:
            line = lines.next()
            if line is None:
                return
            if not line or line.startswith(";"):
                continue
            where = f"line {lines.number}"
            match = _TRANSACTION.match(line)
            if match is not None:
                yield _transaction(lines, match.group(1), match.group(2), where, accounts, currencies)
                continue
            match = _COMMODITY.match(line)
            if match is not None:
                meta = _metadata(lines, ("toudai-commodity", "toudai-scale"))
                code, scale = meta["toudai-commodity"], text_int(meta["toudai-scale"], f"{where}, toudai-scale")
                if beancount_commodity(code) != match.group(2):
                    raise GrammarError(where, f"commodity {match.group(2)} is not the Beancount name of {code!r}")
                if scales.get(code) != scale:
                    raise GrammarError(
                        where, f"commodity {code} has scale {scale}, the manifest says {scales.get(code)}"
                    )
                currencies[match.group(2)] = (code, scale)
                continue
            match = _OPEN.match(line)
            if match is not None:
                name, currency = match.group(2), match.group(3)
                meta = _metadata(lines, ("toudai-account",))
                account = _ACCOUNT.match(meta["toudai-account"])
                if account is None:
                    raise GrammarError(where, f"toudai-account {shown(meta['toudai-account'])} is not an account name")
                book, code = account.groups()
                parts = name.split(":")
                expected = [beancount_component(book), *(beancount_component(p) for p in code.split("."))]
                if parts[0] not in ROOTS.values() or parts[1:] != expected:
                    raise GrammarError(where, f"account {name} is not the Beancount name of {book}/{code}")
                if currency not in currencies:
                    raise GrammarError(
                        where, f"account {name} is opened in {currency}, which has no commodity directive"
                    )
                if name in accounts:
                    raise GrammarError(where, f"account {name} is opened twice")
                accounts[name] = _Account(book, code, currency)
                continue
            match = _OPTION.match(line)
            if match is not None:
                key, rest = lines.string(match.group(1), where)
                if key not in OPTIONS or not rest.startswith(" "):
                    raise GrammarError(where, f"option {shown(key)} is not one the toudai export writes")
                _whole_string(lines, rest[1:], where)
                continue
            raise GrammarError(where, f"found {shown(line)}, not a directive of the toudai export")
        except GrammarError as error:
            yield error


def _fast_transaction(
    entry: re.Match[str], line: int, accounts: dict[str, _Account], currencies: dict[str, tuple[str, int]]
) -> BeancountLeg | None:
    """The leg of a transaction matched by `_ENTRY` (its header on `line`), or None if any posting does not
    check out (unknown account, another book, another currency, an amount not spelled with exactly the
    commodity's scale): then the general reader reads it again and reports the fault."""
    date, description, book, seq, prev, hash_, tx, request_id, recorded_at, metadata, block, _ = entry.groups()
    postings: list[tuple[str, str, int]] = []
    for name, amount, currency in _POSTINGS.findall(block):
        account = accounts.get(name)
        if account is None or account.book != book or currency != account.currency:
            return None
        minor = amount_minor(amount, currencies[currency][1])
        if minor is None:
            return None
        postings.append((account.code, currencies[currency][0], minor))
    return BeancountLeg(
        line, book, int(seq), prev, hash_, tx, request_id, date, recorded_at, description, metadata, None, postings
    )


def _skip_entry(lines: _Lines) -> None:
    """Skip the rest of a broken entry: up to its blank line (postings end at one)."""
    while True:
        line = lines.next()
        if not line:
            return


def _transaction(
    lines: _Lines,
    date: str,
    narration: str,
    where: str,
    accounts: dict[str, _Account],
    currencies: dict[str, tuple[str, int]],
) -> BeancountLeg:
    start = lines.number
    try:
        description = _whole_string(lines, narration, f"{where}, narration")
        # The exporter's own layout first (each key on its line, in its order, a plain string): one
        # match per line; anything else goes through the general reader, which says what is wrong.
        block = lines.block(_LAYOUT, len(TRANSACTION_KEYS))
        meta = {}
        if block is not None:
            for key, value in zip(TRANSACTION_KEYS, block.groups(), strict=True):
                meta[key] = _ESCAPE.sub(r"\1", value) if "\\" in value else value
        meta = _metadata(lines, TRANSACTION_KEYS, ("toudai-reverses",), meta)
        book = meta["toudai-book"]
        seq = text_int(meta["toudai-seq"], f"{where}, toudai-seq")
    except GrammarError:
        _skip_entry(lines)  # resume at the next entry, not among this one's postings
        raise
    postings: list[tuple[str, str, int]] = []
    error: GrammarError | None = None
    while True:
        line = lines.next()
        if line is None or not line:
            break
        match = _POSTING.match(line)
        at = f"line {lines.number}"
        if match is None:
            error = error or GrammarError(at, f"found {shown(line)}, expected a posting `  Account  amount CUR`")
            continue
        name, amount, currency = match.groups()
        account = accounts.get(name)
        if account is None:
            error = error or GrammarError(at, f"account {name} has no open directive")
            continue
        if account.book != book:
            error = error or GrammarError(at, f"account {name} belongs to book {account.book}, not {book}")
            continue
        if currency != account.currency:
            error = error or GrammarError(at, f"{currency} posted to {name}, which is opened in {account.currency}")
            continue
        code, scale = currencies[currency]
        try:
            postings.append((account.code, code, decimal_minor(amount, scale, f"{at}, amount")))
        except GrammarError as exc:
            error = error or exc
    if error is not None:
        raise GrammarError(error.where, f"{error.found} (in the transaction of line {start})", book=book, seq=seq)
    return BeancountLeg(
        start,
        book,
        seq,
        meta["toudai-prev"],
        meta["toudai-hash"],
        meta["toudai-tx"],
        meta["toudai-request-id"],
        date,
        meta["toudai-recorded-at"],
        description,
        meta["toudai-metadata"],
        meta.get("toudai-reverses"),
        postings,
    )
