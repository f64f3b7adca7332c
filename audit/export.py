"""An export end to end: choose the books and ranges, stream legs through an encoder, end with a manifest.

`export_journal` yields `ExportPiece`s: byte chunks of the file (a few hundred KiB each), then one piece
with the manifest. The server does all the encoding: the client writes the bytes out unchanged. Legs are
read a range of sequence numbers at a time as text (ledger.journal_export, the next range read while this
one is encoded) and encoded a few hundred at a time, so memory holds about two ranges whatever the size
of the journal. The books' heads are read first and fix the end of every range, so legs committed
during a long export are left for the next one and the export is a consistent snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.encode import BeancountEncoder, CsvEncoder, Encoder, JsonLinesEncoder, NameClash, accounts_by_book
from audit.manifest import BookRange, Filters, ManifestBuilder
from audit.model import AccountInfo
from ledger.errors import FailedPrecondition, InvalidArgument, PreconditionViolation
from ledger.journal_export import export_legs
from ledger.journal_reader import JournalReader

CHUNK_BYTES = 256 * 1024  # at most this many bytes per message
ENCODE_LEGS = 500  # legs encoded at a time: about one message


@dataclass(frozen=True, slots=True)
class ExportPiece:
    """Bytes of the file, progress, and (last piece only) the manifest."""

    data: bytes
    legs_exported: int
    legs_total: int
    manifest: dict[str, Any] | None = None


def plan_books(
    reader: JournalReader, filters: Filters
) -> tuple[list[tuple[str, int, str]], dict[str, BookRange], list[Any]]:
    """Every book's head, the ranges to export per book, and the ids of the filter's accounts."""
    heads = reader.heads()
    head_of = {b: (s, h) for b, s, h in heads}
    reader.check_parties(filters.parties)
    account_keys = [_key(a) for a in filters.accounts]
    account_ids = reader.account_ids(account_keys, "accounts")
    books = set(filters.parties) if filters.parties else set(head_of)
    if account_keys:
        books &= {p for p, _ in account_keys}
    if (
        filters.from_sequence is not None
        and filters.to_sequence is not None
        and filters.to_sequence < filters.from_sequence
    ):
        raise InvalidArgument.one("to_sequence", "must not be less than from_sequence")
    ranges: dict[str, BookRange] = {}
    for book in sorted(books):
        head_seq, head_hash = head_of[book]
        lo = max(1, filters.from_sequence or 1)
        hi = min(filters.to_sequence or head_seq, head_seq)
        if hi < lo:
            hi = lo - 1
        start = reader.hash_at(book, min(lo - 1, head_seq))
        end = reader.hash_at(book, hi) if hi >= lo else start
        ranges[book] = BookRange(book, lo, hi, start, end, (head_seq, head_hash))
    return heads, ranges, account_ids


def _key(account: str) -> tuple[str, str]:
    from ledger.journal_reader import account_key_of

    return account_key_of(account, "accounts")


def encoder_for(
    fmt: str,
    accounts: Mapping[str, AccountInfo],
    scales: dict[str, int],
    first_date: dt.date | None,
    today: dt.date,
) -> tuple[Encoder, dict[str, int]]:
    """The encoder of `fmt` and the commodities (code → scale) of the exported books' accounts.

    `accounts` are the exported books' accounts by id text.
    """
    used = {a.commodity: scales[a.commodity] for a in accounts.values() if a.commodity in scales}
    pairs = list(accounts.items())
    if fmt == "jsonl":
        return JsonLinesEncoder(pairs), used
    if fmt == "csv":
        return CsvEncoder(pairs), used
    if fmt == "beancount":
        dates = [d for d in [first_date, *(a.opened for a in accounts.values())] if d is not None]
        try:
            return BeancountEncoder(pairs, used, open_date=min(dates, default=today)), used
        except NameClash as clash:
            raise FailedPrecondition(
                f"cannot export to Beancount: {clash}",
                [PreconditionViolation("BEANCOUNT_NAME_CLASH", "accounts", str(clash))],
                reason="BEANCOUNT_NAME_CLASH",
            ) from None
    raise InvalidArgument.one("format", f"must be one of csv, jsonl, beancount (got {fmt!r})")


def export_journal(
    reader: JournalReader,
    fmt: str,
    filters: Filters,
    *,
    clock: Callable[[], dt.datetime],
    chunk_bytes: int = CHUNK_BYTES,
    sign: Callable[[Sequence[tuple[str, int, str]]], str] | None = None,
) -> Iterator[ExportPiece]:
    """Stream the export of `filters` in format `fmt` (csv, jsonl, beancount), manifest last; `sign` makes
    the signed checkpoint over the heads the export was made against (the manifest's `signed_checkpoint`)."""
    taken_at = clock()
    heads, ranges, account_ids = plan_books(reader, filters)
    selection = {b: (r.from_seq, r.to_seq) for b, r in ranges.items() if r.to_seq >= r.from_seq}
    legs_total, transactions, first_date = reader.count(
        selection, date_from=filters.value_date_from, date_to=filters.value_date_to, account_ids=account_ids
    )
    accounts = {str(key): info for key, info in reader.accounts(sorted(ranges)).items()}
    encoder, used = encoder_for(fmt, accounts, reader.scales(), first_date, taken_at.date())
    builder = ManifestBuilder(fmt, filters, ranges, used, heads, taken_at)
    accounts_of = accounts_by_book(accounts.items())
    digest = hashlib.sha256()
    size = 0
    pending = encoder.header()
    for book in sorted(selection):
        lo, hi = selection[book]
        for batch in export_legs(
            reader.engines,
            book,
            lo,
            hi,
            date_from=filters.value_date_from,
            date_to=filters.value_date_to,
            account_ids=account_ids,
        ):
            builder.add_legs(book, batch, accounts_of.get(book, {}))
            total = max(legs_total, builder.legs)
            # Encode a few hundred legs at a time, so the text, its bytes and the message stay small.
            for start in range(0, len(batch), ENCODE_LEGS):
                data = encoder.legs(book, batch[start : start + ENCODE_LEGS])
                if pending:
                    data, pending = pending + data, b""
                digest.update(data)
                size += len(data)
                for offset in range(0, len(data), chunk_bytes):
                    yield ExportPiece(data[offset : offset + chunk_bytes], builder.legs, total)
    data = pending + encoder.footer()
    digest.update(data)
    size += len(data)
    if data:
        yield ExportPiece(data, builder.legs, max(legs_total, builder.legs))
    manifest = builder.document(
        transactions=transactions,
        sha256=digest.hexdigest(),
        size_bytes=size,
        signed_checkpoint=sign(heads) if sign is not None else None,
    )
    yield ExportPiece(b"", builder.legs, builder.legs, manifest)
