"""The offline verifier: an exported file and its manifest, checked with nothing else.

No server, no database: `verify_export` reads the file once, in order, recomputes every leg's hash from
the exported fields (audit.chain), checks each book's chain links, its range and its head against the
manifest, re-derives the counts, the totals per party and commodity, every account's balance and each
party's trial balance, and compares them all with the manifest, whose own SHA-256 of the file and
checkpoint are checked too. Every fault is reported with its book and sequence number.

What it cannot know by itself is whether the manifest is the one the ledger produced: compare its
heads or checkpoint with ones obtained independently (GetChainHead earlier, a published checkpoint).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pathlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from audit.beancount_read import BeancountLeg, read_beancount
from audit.chain import ChainChecker
from audit.encode import CSV_COLUMNS
from audit.grammar import INTEGER, NATURAL, GrammarError, json_int, json_str, json_type, shown, text_int, unique_keys
from audit.leg_text import document_text, metadata_of, quote
from audit.model import EXTRA, FORMAT, MANIFEST, REORDERED, UNBALANCED, Fault
from ledger.amounts import format_minor
from ledger.canonical import GENESIS_HASH, checkpoint_hash, postings_text

JSONL_KEYS = frozenset(
    ("v", "book", "seq", "prev", "hash", "tx", "request_id", "value_date", "recorded_at", "description")
) | {"metadata", "reverses", "postings"}
POSTING_KEYS = frozenset(("account", "amount", "commodity"))


class VerifyError(Exception):
    """The file or its manifest cannot be read at all."""


@dataclass(slots=True)
class VerifyReport:
    """What the verifier found, and what a clean result proves (`proven`) and does not (`not_proven`)."""

    format: str
    faults: list[Fault] = field(default_factory=list)
    legs: int = 0
    postings: int = 0
    transactions: int = 0
    books: dict[str, int] = field(default_factory=dict)  # book → legs
    trial_balance: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # debits, credits
    chain_checked: bool = True
    complete: bool = True  # derived from the filters, never read from the manifest
    proven: list[str] = field(default_factory=list)
    not_proven: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def first_bad(self) -> int:
        return min((f.seq for f in self.faults if f.seq), default=0)


def manifest_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".manifest.json")


# One leg as the verifier needs it: (book, seq, prev, stored hash, tx, recomputed hash, postings, value
# date), the postings as (account, commodity, signed amount). Plain tuples: the verifier builds one per leg.
ParsedLeg = tuple[str, int, str, str, str, str, list[tuple[str, str, int]], str]


def _hashed(
    book: str,
    seq: int,
    prev: str,
    tx: str,
    request_id: str,
    value_date: str,
    recorded_at: str,
    description: str,
    metadata: str,
    reverses: Any,
    postings: list[tuple[str, str, int]],
    v: int,
) -> str:
    """SHA-256 of the leg's canonical document, written directly from its fields (audit.leg_text)."""
    text = document_text(
        book,
        seq,
        prev,
        tx,
        request_id,
        value_date,
        recorded_at,
        description,
        metadata,
        reverses,
        postings_text(postings),
        v,
    )
    try:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        raise GrammarError("", "the leg holds bytes that are not UTF-8", book=book, seq=seq) from None


def _metadata_field(text: str, where: str) -> str:
    """A metadata field given as text (CSV, Beancount): exactly the canonical JSON of a string → string
    object, keys unique."""
    if text == "{}":
        return text
    try:
        value = json.loads(text, object_pairs_hook=unique_keys)
    except GrammarError as exc:
        raise GrammarError(where, exc.found) from None
    except ValueError:
        raise GrammarError(where, f"found {shown(text)}, which is not JSON") from None
    if type(value) is not dict or not all(type(v) is str for v in value.values()):
        raise GrammarError(where, f"found {shown(text)}, expected a JSON object of strings")
    canonical = metadata_of(value)
    if canonical != text:
        raise GrammarError(where, f"found {shown(text)}, expected its canonical form {shown(canonical)}")
    return text


def _explain_jsonl(document: Any) -> None:
    """Raise the GrammarError that says what is wrong with a decoded row (the slow path of _jsonl_leg)."""
    if type(document) is not dict:
        raise GrammarError("", f"expected a JSON object, found {json_type(document)}")
    if document.keys() != JSONL_KEYS:
        missing, extra = sorted(JSONL_KEYS - document.keys()), sorted(document.keys() - JSONL_KEYS)
        raise GrammarError("", f"keys missing {missing}, unknown keys {extra}")
    for key in ("v", "seq"):
        json_int(document[key], key)
    for key in ("book", "prev", "hash", "tx", "request_id", "value_date", "recorded_at", "description"):
        json_str(document[key], key)
    metadata = document["metadata"]
    if type(metadata) is not dict or not all(type(x) is str for x in metadata.values()):
        raise GrammarError("metadata", f"expected an object of strings, found {shown(metadata)}")
    reverses = document["reverses"]
    if reverses is not None and type(reverses) is not str:
        raise GrammarError("reverses", f"expected a string or null, found {json_type(reverses)} {shown(reverses)}")
    items = document["postings"]
    if type(items) is not list:
        raise GrammarError("postings", f"expected an array, found {json_type(items)}")
    for index, p in enumerate(items):
        if type(p) is not dict or p.keys() != POSTING_KEYS:
            raise GrammarError(f"postings[{index}]", f"expected {{account, amount, commodity}}, found {shown(p)}")
        json_str(p["account"], f"postings[{index}].account")
        json_str(p["commodity"], f"postings[{index}].commodity")
        json_int(p["amount"], f"postings[{index}].amount")
    raise GrammarError("", "not a leg row")  # pragma: no cover - the fast path found a fault above


def _jsonl_leg(document: Any, number: int) -> tuple[ParsedLeg, str]:
    """A decoded JSON Lines row checked against the grammar: the leg and the row's canonical text.
    GrammarError names the line and the field.

    The fast path checks every type inline (this runs once per leg); whatever it refuses is explained
    by _explain_jsonl."""
    ok = False
    try:
        book, seq, v, prev, stored, tx = (
            document["book"],
            document["seq"],
            document["v"],
            document["prev"],
            document["hash"],
            document["tx"],
        )
        request_id, value_date, recorded_at, description = (
            document["request_id"],
            document["value_date"],
            document["recorded_at"],
            document["description"],
        )
        metadata, reverses, items = document["metadata"], document["reverses"], document["postings"]
        ok = (
            len(document) == 13  # the thirteen keys above and no other
            and type(book) is str
            and type(seq) is int
            and type(v) is int
            and type(prev) is str
            and type(stored) is str
            and type(tx) is str
            and type(request_id) is str
            and type(value_date) is str
            and type(recorded_at) is str
            and type(description) is str
            and type(metadata) is dict
            and (reverses is None or type(reverses) is str)
            and type(items) is list
        )
        postings: list[tuple[str, str, int]] = []
        if ok:
            for p in items:
                if type(p) is not dict or len(p) != 3:
                    ok = False
                    break
                posting = p["account"], p["commodity"], p["amount"]
                if type(posting[0]) is not str or type(posting[1]) is not str or type(posting[2]) is not int:
                    ok = False
                    break
                postings.append(posting)
            if metadata and not all(type(x) is str for x in metadata.values()):
                ok = False
    except (KeyError, TypeError):
        pass
    if not ok:
        found_book = document.get("book") if type(document) is dict else None
        found_seq = document.get("seq") if type(document) is dict else None
        try:
            _explain_jsonl(document)
        except GrammarError as exc:
            where = f"line {number}, {exc.where}" if exc.where else f"line {number}"
            raise GrammarError(
                where,
                exc.found,
                book=found_book if type(found_book) is str else "",
                seq=found_seq if type(found_seq) is int else 0,
            ) from None
    try:
        row = document_text(
            book,
            seq,
            prev,
            tx,
            request_id,
            value_date,
            recorded_at,
            description,
            metadata_of(metadata),
            reverses,
            postings_text(postings),
            v,
            stored,
        )
        # The hashed document is the row without `,"hash":...`, which follows `description`: a `"` inside
        # a string is always escaped, so the first `,"hash":` is the key itself.
        cut = row.find(',"hash":')
        document_bytes = (row[:cut] + row[cut + 8 + len(quote(stored)) :]).encode("utf-8")
    except UnicodeEncodeError:
        raise GrammarError(f"line {number}", "holds bytes that are not UTF-8", book=book, seq=seq) from None
    computed = hashlib.sha256(document_bytes).hexdigest()
    return (book, seq, prev, stored, tx, computed, postings, value_date), row


def _rows_jsonl(stream: io.BufferedReader, faults: list[Fault]) -> Iterator[ParsedLeg]:
    """The legs of a JSON Lines export. Grammar: each line is exactly the canonical serialisation of its
    row, `\n`-terminated (so: one object, keys once each, integers as integers, nothing else)."""
    # The C scanner directly: json.loads would also sniff the encoding and wrap it in three Python calls
    # per line, a fifth of the verifier's time. The grammar is checked by comparing the line with the
    # canonical text of what was parsed, which the verifier writes anyway to hash it.
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
    strict = json.JSONDecoder(object_pairs_hook=unique_keys)
    # Undecodable bytes become lone surrogates, which fail to encode when the leg is hashed: FORMAT.
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="\n")
    for number, line in enumerate(text, start=1):
        try:
            try:
                document, _ = scan(line, 0)
            except StopIteration:
                raise GrammarError(f"line {number}", f"found {shown(line)}, not a JSON object") from None
            except ValueError as exc:
                raise GrammarError(f"line {number}", f"not JSON: {exc}") from None
            leg, row = _jsonl_leg(document, number)
            # line == row + "\n", without building either string again
            if len(line) != len(row) + 1 or line[-1] != "\n" or not line.startswith(row):
                terminated = line.endswith("\n")
                body = line[:-1] if terminated else line
                try:
                    strict.decode(body)
                except GrammarError as exc:
                    raise GrammarError(f"line {number}", exc.found, book=leg[0], seq=leg[1]) from None
                except ValueError as exc:
                    raise GrammarError(f"line {number}", f"not JSON: {exc}", book=leg[0], seq=leg[1]) from None
                if not terminated:
                    problem = "does not end with a line feed"
                else:
                    at = next(
                        (i for i, (a, b) in enumerate(zip(body, row, strict=False)) if a != b), min(len(body), len(row))
                    )
                    problem = (
                        f"is not in canonical form: at character {at + 1} found {shown(body[at : at + 20])}, "
                        f"expected {shown(row[at : at + 20])}"
                    )
                # The content is unambiguous (no duplicate key, every type right): still check its chain.
                faults.append(Fault(leg[0], leg[1], FORMAT, f"line {number} {problem}"))
            yield leg
        except GrammarError as exc:
            faults.append(Fault(exc.book, exc.seq, FORMAT, str(exc)))


CSV_NUMBERS = {0: "v", 2: "seq", 12: "posting", 13: "postings"}


def _records(reader: Any, faults: list[Fault]) -> Iterator[tuple[int, list[str]]]:
    """The CSV records after the header, numbered from 2; a record that is not RFC 4180 is a FORMAT fault,
    and reading goes on with the next."""
    number = 1
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            faults.append(Fault("", 0, FORMAT, f"row {number}: not RFC 4180 CSV: {exc}"))
            continue
        yield number, row


def _rows_csv(stream: io.BufferedReader, faults: list[Fault]) -> Iterator[ParsedLeg]:
    """The legs of a CSV export. Grammar: RFC 4180 (csv.reader, strict quoting), the exact header, 17
    fields per row, `v`, `seq`, `posting`, `postings` matching `0|[1-9][0-9]*` and `amount`
    `0|-?[1-9][0-9]*` in ASCII, `metadata` canonical JSON, the rows of a leg consecutive and agreeing."""
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        header = [str(exc)]
    if header is None or tuple(header) != CSV_COLUMNS:
        faults.append(Fault("", 0, FORMAT, f"row 1: the header row is not {','.join(CSV_COLUMNS)}"))
        return
    columns = len(CSV_COLUMNS)
    # The rows of the current leg, with their `posting` index and amount parsed (None: the row broke the
    # grammar, and the leg is not used).
    group: list[list[str]] = []
    indexes: list[int | None] = []
    amounts: list[int | None] = []
    numbers: list[int] = []
    seen: set[int | None] = set()  # the posting indexes in `indexes`
    natural, integer = NATURAL.match, INTEGER.match

    def flush() -> Iterator[ParsedLeg]:
        first = group[0]
        book, seq_text = first[1], first[2]
        seq = int(seq_text) if seq_text.isdigit() and seq_text.isascii() else 0
        if None in amounts or None in indexes:
            return  # the FORMAT fault was reported with the row
        try:
            count = len(group)
            if natural(first[0]) is None or natural(first[2]) is None or natural(first[13]) is None:
                for column, name in CSV_NUMBERS.items():
                    text_int(first[column], f"row {numbers[0]}, {name}")  # raises, naming the field
            if count > 1:
                common, declared_text = first[:12], first[13]
                for row, number in zip(group[1:], numbers[1:], strict=True):
                    if row[:12] != common or row[13] != declared_text:
                        raise GrammarError(f"row {number}", "the posting rows of this leg disagree on the leg's fields")
            if indexes != list(range(count)):
                if sorted(indexes) == list(range(count)):  # type: ignore[type-var]
                    faults.append(
                        Fault(book, seq, REORDERED, f"posting rows numbered {indexes}, expected 0..{count - 1}")
                    )
                else:
                    raise GrammarError(f"row {numbers[0]}", f"posting rows numbered {indexes}, expected 0..{count - 1}")
            declared = int(first[13])
            if declared != count:
                faults.append(
                    Fault(book, seq, FORMAT, f"row {numbers[0]}: {count} posting rows where the leg says {declared}")
                )
            postings = [(r[14], r[15], m) for r, m in zip(group, amounts, strict=True) if m is not None]
            metadata = _metadata_field(first[10], f"row {numbers[0]}, metadata")
            computed = _hashed(
                book,
                seq,
                first[3],
                first[5],
                first[6],
                first[7],
                first[8],
                first[9],
                metadata,
                first[11] or None,
                postings,
                int(first[0]),
            )
        except GrammarError as exc:
            faults.append(Fault(book, seq, FORMAT, str(exc)))
            return
        yield book, seq, first[3], first[4], first[5], computed, postings, first[7]

    for number, row in _records(reader, faults):
        index: int | None = None
        amount: int | None = None
        if len(row) != columns:
            faults.append(Fault("", 0, FORMAT, f"row {number}: {len(row)} fields, expected {columns}"))
            continue
        # Per row only what differs between the rows of a leg: the leg's own fields (v, seq, postings)
        # are checked once, on its first row, and the other rows must repeat them exactly.
        if natural(row[12]) is not None and integer(row[16]) is not None:
            index, amount = int(row[12]), int(row[16])
        else:
            seq = int(row[2]) if row[2].isdigit() and row[2].isascii() else 0
            try:
                text_int(row[12], "posting")
                text_int(row[16], "amount", signed=True)
            except GrammarError as exc:
                faults.append(Fault(row[1], seq, FORMAT, f"row {number}, {exc}"))
        # A new leg starts when book or seq change, or when a posting index repeats (a copy of the leg).
        if group and (row[2] != group[0][2] or row[1] != group[0][1] or (index is not None and index in seen)):
            yield from flush()
            group.clear()
            indexes.clear()
            seen.clear()
            amounts.clear()
            numbers.clear()
        group.append(row)
        indexes.append(index)
        seen.add(index)
        amounts.append(amount)
        numbers.append(number)
    if group:
        yield from flush()


def _rows_beancount(
    stream: io.BufferedReader, faults: list[Fault], scales: dict[str, int], version: int
) -> Iterator[ParsedLeg]:
    """The legs of a Beancount export, read back by audit.beancount_read (the exporter's subset); `v` is
    the manifest's `encoding_version` (a Beancount transaction does not carry it)."""
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="\n")
    for item in read_beancount(text, scales):
        if isinstance(item, GrammarError):
            faults.append(Fault(item.book, item.seq, FORMAT, str(item)))
            continue
        leg: BeancountLeg = item
        try:
            metadata = _metadata_field(leg.metadata, f"line {leg.line}, toudai-metadata")
            computed = _hashed(
                leg.book,
                leg.seq,
                leg.prev,
                leg.tx,
                leg.request_id,
                leg.value_date,
                leg.recorded_at,
                leg.description,
                metadata,
                leg.reverses,
                leg.postings,
                version,
            )
        except GrammarError as exc:
            faults.append(Fault(leg.book, leg.seq, FORMAT, str(exc)))
            continue
        yield leg.book, leg.seq, leg.prev, leg.hash, leg.tx, computed, leg.postings, leg.value_date


def _sha256(path: pathlib.Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def load_manifest(path: pathlib.Path, manifest: pathlib.Path | None = None) -> dict[str, Any]:
    where = manifest or manifest_path(path)
    try:
        document = json.loads(where.read_text(encoding="utf-8"), object_pairs_hook=unique_keys)
    except OSError as exc:
        raise VerifyError(f"cannot read the manifest {where}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise VerifyError(f"the manifest {where} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("manifest_version") != 1:
        raise VerifyError(f"{where} is not a toudai export manifest (manifest_version 1)")
    return document


def verify_export(path: pathlib.Path, manifest: dict[str, Any]) -> VerifyReport:
    """Check the export at `path` against `manifest`; every fault goes in the report."""
    try:
        return _verify(path, manifest)
    except (KeyError, TypeError, ValueError) as exc:
        raise VerifyError(f"the manifest is missing or has a malformed field: {exc!r}") from exc


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the manifest's filters and checkpoint require of an export, derived by the verifier.

    `ranges` are the books the export must list and, per book, the sequence range it must cover
    (inclusive; `hi` = `lo` − 1 when nothing is selected). `complete` is True when no account or date
    filter was given: then every leg of every range must be in the file.
    """

    ranges: dict[str, tuple[int, int]]
    complete: bool
    date_from: str | None
    date_to: str | None
    accounts: dict[str, frozenset[str]]  # book → account codes of an account filter


def _int(value: Any, where: str) -> int:
    try:
        return json_int(value, where)
    except GrammarError as exc:
        raise VerifyError(f"the manifest's {exc}") from None


def _optional_int(value: Any, where: str) -> int | None:
    return None if value is None else _int(value, where)


def derive_coverage(manifest: dict[str, Any], heads: dict[str, tuple[int, str]]) -> Coverage:
    """The books and ranges an export of these filters must hold, from the filters and the checkpoint's
    heads alone (the rules of audit.export.plan_books, docs/audit.md "Completeness")."""
    filters = manifest["filters"]
    parties = [str(p).removeprefix("parties/") for p in filters.get("parties") or []]
    accounts: dict[str, set[str]] = defaultdict(set)
    for name in filters.get("accounts") or []:
        text = str(name)
        parts = (
            text.removeprefix("parties/").split("/accounts/", 1) if text.startswith("parties/") else text.split("/", 1)
        )
        if len(parts) != 2:
            raise VerifyError(f"the manifest's account filter {text!r} is not an account name")
        accounts[parts[0]].add(parts[1])
    books = set(parties) if parties else set(heads)
    if accounts:
        books &= set(accounts)
    lo_filter = _optional_int(filters.get("from_sequence"), "filters.from_sequence")
    hi_filter = _optional_int(filters.get("to_sequence"), "filters.to_sequence")
    date_from, date_to = filters.get("value_date_from"), filters.get("value_date_to")
    ranges: dict[str, tuple[int, int]] = {}
    for book in sorted(books):
        head_seq = heads.get(book, (0, GENESIS_HASH))[0]
        lo = max(1, lo_filter or 1)
        hi = min(hi_filter or head_seq, head_seq)
        ranges[book] = (lo, max(hi, lo - 1))
    return Coverage(
        ranges,
        not accounts and date_from is None and date_to is None,
        None if date_from is None else str(date_from),
        None if date_to is None else str(date_to),
        {b: frozenset(c) for b, c in accounts.items()},
    )


def _check_coverage(
    manifest: dict[str, Any],
    coverage: Coverage,
    heads: dict[str, tuple[int, str]],
    books: dict[str, dict[str, Any]],
    faults: list[Fault],
) -> dict[str, ChainChecker]:
    """Compare the manifest's `complete` and `books` with what the filters require; one chain checker per
    required book, over the *required* range (a leg left out of the file and of the manifest's range is
    then MISSING, whatever the manifest says)."""
    stated_complete = manifest["complete"]
    if stated_complete is not coverage.complete:
        faults.append(
            Fault(
                "",
                0,
                MANIFEST,
                f"complete is {json.dumps(stated_complete)}, but the filters make the export "
                f"{'complete' if coverage.complete else 'not complete'} (complete is derived, never trusted)",
            )
        )
    for party in manifest["filters"].get("parties") or []:
        if str(party).removeprefix("parties/") not in heads:
            faults.append(Fault(str(party), 0, MANIFEST, "a party of the filters is not in the checkpoint"))
    checkers: dict[str, ChainChecker] = {}
    for book, (lo, hi) in coverage.ranges.items():
        head_seq, head_hash = heads.get(book, (0, GENESIS_HASH))
        entry = books.get(book)
        if entry is None:  # its legs, if it has any in the range, are then MISSING (the checker below)
            selected = f"seq {lo}..{hi}" if hi >= lo else "no legs"
            faults.append(Fault(book, 0, MANIFEST, f"the filters select this book ({selected}); it is not listed"))
        stated = (
            (_int(entry["from_seq"], "from_seq"), _int(entry["to_seq"], "to_seq")) if entry is not None else (lo, hi)
        )
        if stated != (lo, hi):
            faults.append(
                Fault(
                    book,
                    0,
                    MANIFEST,
                    f"the manifest covers seq {stated[0]}..{stated[1]}, the filters and the head ({head_seq}) "
                    f"require {lo}..{hi}",
                )
            )
        prev_hash: str | None = str(entry["prev_hash"]) if entry is not None else None
        if lo == 1:
            if prev_hash is not None and prev_hash != GENESIS_HASH:
                faults.append(Fault(book, 0, MANIFEST, "prev_hash of a range from seq 1 is not the genesis hash"))
            prev_hash = GENESIS_HASH
        end_hash: str | None = str(entry["head_hash"]) if entry is not None else None
        if hi == head_seq:
            if end_hash is not None and end_hash != head_hash and stated == (lo, hi):
                faults.append(Fault(book, 0, MANIFEST, "head_hash is not the book's head in the checkpoint"))
            end_hash = head_hash if hi >= lo else end_hash
        checkers[book] = ChainChecker(book, lo, hi, prev_hash=prev_hash, head_hash=end_hash, complete=coverage.complete)
    for book in books:
        if book not in coverage.ranges:
            faults.append(Fault(book, 0, MANIFEST, "this book is listed, but the filters do not select it"))
    return checkers


def _describe(report: VerifyReport, coverage: Coverage, fmt: str) -> None:
    """What a clean result proves, and what it does not, in words (printed by `toudai audit verify`)."""
    books = ", ".join(f"{b} {lo}..{hi}" if hi >= lo else f"{b} (none)" for b, (lo, hi) in coverage.ranges.items())
    report.proven.append(
        "every leg in the file matches its hash, links to its predecessor and balances per commodity; "
        "counts, totals, balances and each book's trial balance match the manifest"
        + (
            " (Beancount transactions read back into legs through their toudai-* metadata)"
            if fmt == "beancount"
            else ""
        )
    )
    report.proven.append("the heads in the manifest's checkpoint hash to its checkpoint hash")
    if coverage.complete:
        report.proven.append(f"complete: every leg of these books and ranges is in the file, none missing: {books}")
    else:
        selected = []
        if coverage.accounts:
            selected.append(
                "accounts "
                + ", ".join(f"{b}/{c}" for b in sorted(coverage.accounts) for c in sorted(coverage.accounts[b]))
            )
        if coverage.date_from or coverage.date_to:
            selected.append(f"value dates {coverage.date_from or '…'} to {coverage.date_to or '…'}")
        report.proven.append(
            f"every leg in the file lies in its book's range ({books}) and matches the filter ({'; '.join(selected)})"
        )
        report.not_proven.append(
            "that every leg matching an account or date filter is in the file: the chain skips the legs left "
            "out, so a matching leg dropped from the file cannot be told from one that did not match "
            "(export without those filters to prove completeness)"
        )
    report.not_proven.append(
        "that the checkpoint is the ledger's: compare it (or the books' heads) with one obtained independently"
    )
    report.not_proven.append(
        "that the filters are the ones you asked for: the manifest states them; check them against your request"
    )


def _verify(path: pathlib.Path, manifest: dict[str, Any]) -> VerifyReport:
    fmt = str(manifest["format"])
    if fmt not in ("csv", "jsonl", "beancount"):
        raise VerifyError(f"unknown export format {fmt!r}")
    report = VerifyReport(fmt)
    faults = report.faults
    try:
        sha, size = _sha256(path)
    except OSError as exc:
        raise VerifyError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if sha != manifest["sha256"]:
        faults.append(Fault("", 0, MANIFEST, f"SHA-256 of the file is {sha}, the manifest says {manifest['sha256']}"))
    if size != manifest["size_bytes"]:
        faults.append(Fault("", 0, MANIFEST, f"the file has {size} bytes, the manifest says {manifest['size_bytes']}"))
    heads = [(str(b), _int(s, "checkpoint.books seq"), str(h)) for b, s, h in manifest["checkpoint"]["books"]]
    if checkpoint_hash(heads) != manifest["checkpoint"]["hash"]:
        faults.append(Fault("", 0, MANIFEST, "the checkpoint hash does not match the heads listed with it"))
    head_of = {b: (s, h) for b, s, h in heads}
    books = {str(b["book"]): b for b in manifest["books"]}
    if len(books) != len(manifest["books"]):
        faults.append(Fault("", 0, MANIFEST, "a book is listed more than once in books"))
    for book, entry in books.items():
        stated = (_int(entry["book_head"]["seq"], "book_head.seq"), str(entry["book_head"]["hash"]))
        if head_of.get(book) != stated:
            faults.append(Fault(book, 0, MANIFEST, "the book's head is not the one in the checkpoint"))
    coverage = derive_coverage(manifest, head_of)
    report.complete = coverage.complete
    checkers = _check_coverage(manifest, coverage, head_of, books, faults)
    _describe(report, coverage, fmt)
    scales = {str(c["code"]): _int(c["scale"], "commodities.scale") for c in manifest.get("commodities", [])}
    date_from, date_to = coverage.date_from, coverage.date_to
    account_filter = coverage.accounts
    legs_of: dict[str, int] = defaultdict(int)
    postings_of: dict[str, int] = defaultdict(int)
    seqs_of: dict[str, list[int]] = {}  # book → [first, last] sequence number in the file
    sums: dict[tuple[str, str, str], list[int]] = {}  # (book, account, commodity) → [debits, credits]
    transactions: set[str] = set()
    previous_book = ""
    checker: ChainChecker | None = None
    book_of_checker = None
    with path.open("rb") as stream:
        reading = stream  # type: Any
        if fmt == "jsonl":
            rows = _rows_jsonl(reading, faults)
        elif fmt == "csv":
            rows = _rows_csv(reading, faults)
        else:
            rows = _rows_beancount(reading, faults, scales, _int(manifest["encoding_version"], "encoding_version"))
        for book, seq, prev, stored, tx, computed, postings, value_date in rows:
            if book != book_of_checker:
                checker, book_of_checker = checkers.get(book), book
            if checker is None:
                faults.append(Fault(book, seq, EXTRA, "a leg of a book the filters do not select"))
                continue
            if book < previous_book:
                faults.append(Fault(book, seq, REORDERED, f"book {book} after book {previous_book}"))
            elif book > previous_book:
                previous_book = book
            checker.feed_leg(seq, prev, stored, computed, postings)
            if (date_from is not None and value_date < date_from) or (date_to is not None and value_date > date_to):
                faults.append(Fault(book, seq, EXTRA, f"value date {value_date} is outside the filter's dates"))
            if account_filter and not any(p[0] in account_filter.get(book, ()) for p in postings):
                faults.append(Fault(book, seq, EXTRA, "no posting to an account of the filter"))
            report.legs += 1
            report.postings += len(postings)
            legs_of[book] += 1
            postings_of[book] += len(postings)
            span = seqs_of.get(book)
            if span is None:
                seqs_of[book] = [seq, seq]
            else:
                span[0], span[1] = min(span[0], seq), max(span[1], seq)
            transactions.add(tx)
            for account, commodity, amount in postings:
                pair = sums.get((book, account, commodity))
                if pair is None:
                    pair = sums[(book, account, commodity)] = [0, 0]
                if amount >= 0:
                    pair[0] += amount
                else:
                    pair[1] -= amount
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    balances: dict[tuple[str, str, str], int] = {}
    for (book, account, commodity), (debit_sum, credit_sum) in sums.items():
        pair = totals[(book, commodity)]
        pair[0] += debit_sum
        pair[1] += credit_sum
        balances[(book, account, commodity)] = debit_sum - credit_sum
    for checker in checkers.values():
        faults.extend(checker.finish())
    report.transactions = len(transactions)
    report.books = dict(legs_of)
    counts = manifest["counts"]
    for name, found in (("transactions", report.transactions), ("legs", report.legs), ("postings", report.postings)):
        if _int(counts[name], f"counts.{name}") != found:
            faults.append(Fault("", 0, MANIFEST, f"the file has {found} {name}, the manifest says {counts[name]}"))
    for book, entry in books.items():
        in_file: list[int | None] = [*seqs_of.get(book, (None, None))]
        if [entry["first_seq"], entry["last_seq"]] != in_file:
            message = (
                f"the file's legs run from seq {in_file[0]} to {in_file[1]}, "
                f"the manifest says {entry['first_seq']} to {entry['last_seq']}"
            )
            faults.append(Fault(book, 0, MANIFEST, message))
        if entry["legs"] != legs_of[book] or entry["postings"] != postings_of[book]:
            faults.append(
                Fault(
                    book,
                    0,
                    MANIFEST,
                    f"{legs_of[book]} legs and {postings_of[book]} postings in the file, "
                    f"the manifest says {entry['legs']} and {entry['postings']}",
                )
            )
    stated_totals = {
        (str(x["book"]), str(x["commodity"])): (
            _int(x["debits"], "totals.debits"),
            _int(x["credits"], "totals.credits"),
        )
        for x in manifest["totals"]
    }
    derived_totals = {k: (v[0], v[1]) for k, v in totals.items()}
    for key in sorted(set(stated_totals) | set(derived_totals)):
        if stated_totals.get(key) != derived_totals.get(key):
            faults.append(
                Fault(
                    key[0],
                    0,
                    MANIFEST,
                    f"{key[1]} totals {_money_pair(derived_totals.get(key), scales.get(key[1], 0))} differ from "
                    f"the manifest's {_money_pair(stated_totals.get(key), scales.get(key[1], 0))}",
                )
            )
    stated_balances = {
        (str(x["book"]), str(x["account"]), str(x["commodity"])): _int(x["balance"], "balances.balance")
        for x in manifest["balances"]
    }
    for account_key in sorted(set(stated_balances) | set(balances)):
        stated_balance, derived_balance = stated_balances.get(account_key, 0), balances.get(account_key, 0)
        if stated_balance != derived_balance:
            book, account, commodity = account_key
            scale = scales.get(commodity, 0)  # amounts as money (10000000.01 CNY), not minor units labelled CNY
            message = (
                f"account {account} sums to {format_minor(derived_balance, scale)} {commodity}, "
                f"the manifest says {format_minor(stated_balance, scale)}"
            )
            faults.append(Fault(book, 0, MANIFEST, message))
    trial: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for (book, _account, commodity), balance in balances.items():
        pair = trial[(book, commodity)]
        if balance >= 0:
            pair[0] += balance
        else:
            pair[1] -= balance
    report.trial_balance = {k: (v[0], v[1]) for k, v in sorted(trial.items())}
    for (book, commodity), (debit_total, credit_total) in report.trial_balance.items():
        if debit_total != credit_total:
            message = f"trial balance in {commodity}: debits {debit_total} ≠ credits {credit_total}"
            faults.append(Fault(book, 0, UNBALANCED, message))
    faults.sort()
    return report


def _money_pair(pair: tuple[int, int] | None, scale: int) -> str:
    """(debits, credits) in minor units as money, for a fault a person reads: (100.00 debits, 99.99 credits)."""
    if pair is None:
        return "(none)"
    return f"({format_minor(pair[0], scale)} debits, {format_minor(pair[1], scale)} credits)"
