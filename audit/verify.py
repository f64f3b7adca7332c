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

from audit.chain import ChainChecker
from audit.encode import CSV_COLUMNS
from audit.leg_text import document_text, metadata_of
from audit.model import EXTRA, MALFORMED, MANIFEST, REORDERED, UNBALANCED, Fault
from ledger.canonical import checkpoint_hash, postings_text

JSONL_KEYS = frozenset(
    ("v", "book", "seq", "prev", "hash", "tx", "request_id", "value_date", "recorded_at", "description")
) | {"metadata", "reverses", "postings"}


class VerifyError(Exception):
    """The file or its manifest cannot be read at all."""


@dataclass(slots=True)
class VerifyReport:
    """What the verifier found."""

    format: str
    faults: list[Fault] = field(default_factory=list)
    legs: int = 0
    postings: int = 0
    transactions: int = 0
    books: dict[str, int] = field(default_factory=dict)  # book → legs
    trial_balance: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # debits, credits
    chain_checked: bool = True

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def first_bad(self) -> int:
        return min((f.seq for f in self.faults if f.seq), default=0)


def manifest_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".manifest.json")


# One leg as the verifier needs it: (book, seq, prev, stored hash, tx, recomputed hash, postings), the
# postings as (account, commodity, signed amount). Plain tuples: the verifier builds one per leg.
ParsedLeg = tuple[str, int, str, str, str, str, list[tuple[str, str, int]]]


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
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows_jsonl(stream: io.BufferedReader, faults: list[Fault]) -> Iterator[ParsedLeg]:
    # The C scanner directly: json.loads would also sniff the encoding and wrap it in three Python calls
    # per line, a fifth of the verifier's time. A line is one JSON value, whitespace around it allowed.
    scan = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
    # Undecodable bytes become lone surrogates, which fail to encode when the leg is hashed: MALFORMED.
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="\n")
    for number, line in enumerate(text, start=1):
        try:
            try:
                document, end = scan(line, 0)
            except StopIteration:
                document, end = json.loads(line), len(line)  # leading whitespace, or not JSON: let loads say
            if end != len(line) and line[end:].strip():
                document = json.loads(line)  # trailing data: loads raises the usual "Extra data" error
            book, seq, prev, stored, tx = (
                str(document["book"]),
                int(document["seq"]),
                str(document["prev"]),
                str(document["hash"]),
                str(document["tx"]),
            )
            postings = [(str(p["account"]), str(p["commodity"]), int(p["amount"])) for p in document["postings"]]
            computed = _hashed(
                book,
                seq,
                prev,
                tx,
                str(document["request_id"]),
                str(document["value_date"]),
                str(document["recorded_at"]),
                str(document["description"]),
                metadata_of(dict(document["metadata"])),
                document["reverses"],
                postings,
                int(document["v"]),
            )
            yield book, seq, prev, stored, tx, computed, postings
            if len(document) != len(JSONL_KEYS):
                extra = set(document) - JSONL_KEYS
                if extra:
                    faults.append(Fault(book, seq, MALFORMED, f"unknown keys {sorted(extra)}"))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            faults.append(Fault("", 0, MALFORMED, f"line {number} is not a leg row: {exc}"))


def _rows_csv(stream: io.BufferedReader, faults: list[Fault]) -> Iterator[ParsedLeg]:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    reader = csv.reader(text)
    header = next(reader, None)
    if header is None or tuple(header) != CSV_COLUMNS:
        faults.append(Fault("", 0, MALFORMED, f"the header row is not {','.join(CSV_COLUMNS)}"))
        return
    columns = len(CSV_COLUMNS)
    # The rows of the current leg, with their `posting` index and amount already parsed (each row's
    # numbers are parsed once, when the row is checked).
    group: list[list[str]] = []
    indexes: list[int] = []
    amounts: list[int] = []

    def flush() -> ParsedLeg:
        first = group[0]
        book, seq = first[1], int(first[2])
        count = len(group)
        if count > 1:
            common = first[:12]
            for row in group[1:]:
                if row[:12] != common:
                    faults.append(
                        Fault(book, seq, MALFORMED, "the posting rows of this leg disagree on the leg's fields")
                    )
        if indexes != list(range(count)):
            kind = REORDERED if sorted(indexes) == list(range(count)) else MALFORMED
            faults.append(Fault(book, seq, kind, f"posting rows numbered {indexes}, expected 0..{count - 1}"))
        declared = int(first[13])
        if declared != count:
            faults.append(Fault(book, seq, MALFORMED, f"{count} posting rows where the leg has {declared}"))
        postings = [(r[14], r[15], m) for r, m in zip(group, amounts, strict=True)]
        metadata = first[10]
        computed = _hashed(
            book,
            seq,
            first[3],
            first[5],
            first[6],
            first[7],
            first[8],
            first[9],
            metadata if metadata == "{}" else metadata_of(dict(json.loads(metadata))),
            first[11] or None,
            postings,
            int(first[0]),
        )
        return book, seq, first[3], first[4], first[5], computed, postings

    def flushed(where: str) -> Iterator[ParsedLeg]:
        """The leg gathered so far, or a MALFORMED fault for it (an unreadable field), then a new group."""
        try:
            yield flush()
        except (ValueError, TypeError) as exc:
            faults.append(Fault("", 0, MALFORMED, f"{where}: {exc}"))
        group.clear()
        indexes.clear()
        amounts.clear()

    for number, row in enumerate(reader, start=2):
        try:
            if len(row) != columns:
                raise ValueError(f"{len(row)} columns, expected {columns}")
            int(row[2]), int(row[13])
            index, amount = int(row[12]), int(row[16])
        except ValueError as exc:
            faults.append(Fault("", 0, MALFORMED, f"row {number}: {exc}"))
            continue
        if group and (row[2] != group[0][2] or row[1] != group[0][1]):
            yield from flushed(f"the leg before row {number}")
        group.append(row)
        indexes.append(index)
        amounts.append(amount)
    if group:
        yield from flushed("the last leg")


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
        document = json.loads(where.read_text(encoding="utf-8"))
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


def _verify(path: pathlib.Path, manifest: dict[str, Any]) -> VerifyReport:
    fmt = str(manifest["format"])
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
    heads = [(str(b), int(s), str(h)) for b, s, h in manifest["checkpoint"]["books"]]
    if checkpoint_hash(heads) != manifest["checkpoint"]["hash"]:
        faults.append(Fault("", 0, MANIFEST, "the checkpoint hash does not match the heads listed with it"))
    head_of = {b: (s, h) for b, s, h in heads}
    complete = bool(manifest["complete"])
    books = {str(b["book"]): b for b in manifest["books"]}
    for book, entry in books.items():
        stated = (int(entry["book_head"]["seq"]), str(entry["book_head"]["hash"]))
        if head_of.get(book) != stated:
            faults.append(Fault(book, 0, MANIFEST, "the book's head is not the one in the checkpoint"))
    if fmt == "beancount":
        report.chain_checked = False  # the SHA-256 above covers it; chains are checked on CSV/JSONL exports
        return report
    if fmt not in ("csv", "jsonl"):
        raise VerifyError(f"unknown export format {fmt!r}")
    checkers = {
        book: ChainChecker(
            book,
            int(entry["from_seq"]),
            int(entry["to_seq"]),
            prev_hash=str(entry["prev_hash"]),
            head_hash=str(entry["head_hash"]),
            complete=complete,
        )
        for book, entry in books.items()
    }
    legs_of: dict[str, int] = defaultdict(int)
    postings_of: dict[str, int] = defaultdict(int)
    sums: dict[tuple[str, str, str], list[int]] = {}  # (book, account, commodity) → [debits, credits]
    transactions: set[str] = set()
    previous_book = ""
    checker: ChainChecker | None = None
    book_of_checker = None
    with path.open("rb") as stream:
        rows = _rows_jsonl(stream, faults) if fmt == "jsonl" else _rows_csv(stream, faults)  # type: ignore[arg-type]
        for book, seq, prev, stored, tx, computed, postings in rows:
            if book != book_of_checker:
                checker, book_of_checker = checkers.get(book), book
            if checker is None:
                faults.append(Fault(book, seq, EXTRA, "a leg of a book the manifest does not list"))
                continue
            if book < previous_book:
                faults.append(Fault(book, seq, REORDERED, f"book {book} after book {previous_book}"))
            elif book > previous_book:
                previous_book = book
            checker.feed_leg(seq, prev, stored, computed, postings)
            report.legs += 1
            report.postings += len(postings)
            legs_of[book] += 1
            postings_of[book] += len(postings)
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
        if int(counts[name]) != found:
            faults.append(Fault("", 0, MANIFEST, f"the file has {found} {name}, the manifest says {counts[name]}"))
    for book, entry in books.items():
        if int(entry["legs"]) != legs_of[book] or int(entry["postings"]) != postings_of[book]:
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
        (str(x["book"]), str(x["commodity"])): (int(x["debits"]), int(x["credits"])) for x in manifest["totals"]
    }
    derived_totals = {k: (v[0], v[1]) for k, v in totals.items()}
    for key in sorted(set(stated_totals) | set(derived_totals)):
        if stated_totals.get(key) != derived_totals.get(key):
            faults.append(
                Fault(
                    key[0],
                    0,
                    MANIFEST,
                    f"{key[1]} totals {derived_totals.get(key)} differ from the manifest's {stated_totals.get(key)}",
                )
            )
    stated_balances = {
        (str(x["book"]), str(x["account"]), str(x["commodity"])): int(x["balance"]) for x in manifest["balances"]
    }
    for account_key in sorted(set(stated_balances) | set(balances)):
        stated_balance, derived_balance = stated_balances.get(account_key, 0), balances.get(account_key, 0)
        if stated_balance != derived_balance:
            book, account, commodity = account_key
            message = f"account {account} sums to {derived_balance} {commodity}, the manifest says {stated_balance}"
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
