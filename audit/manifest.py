"""The manifest that ends every export: what was asked, what is in the file, and how to check it.

`ManifestBuilder` accumulates, batch by batch and in flat memory (per book, per account and per commodity,
never per leg), the counts, totals, balances and per-book ranges, and finally the document itself. The
offline verifier (audit.verify) rebuilds the same numbers from the file and compares. Every field is
described in docs/audit.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.model import AccountInfo
from ledger.canonical import ENCODING_VERSION, GENESIS_HASH, checkpoint_hash, format_instant
from ledger.journal_export import ExportLeg

MANIFEST_VERSION = 1


@dataclass(frozen=True, slots=True)
class Filters:
    """What an export selects. Empty tuples and None select everything."""

    parties: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    value_date_from: dt.date | None = None
    value_date_to: dt.date | None = None
    from_sequence: int | None = None
    to_sequence: int | None = None

    @property
    def complete(self) -> bool:
        """True when every leg of each book's sequence range is exported (no account or date filter)."""
        return not self.accounts and self.value_date_from is None and self.value_date_to is None

    def document(self) -> dict[str, Any]:
        return {
            "parties": list(self.parties),
            "accounts": list(self.accounts),
            "value_date_from": self.value_date_from.isoformat() if self.value_date_from else None,
            "value_date_to": self.value_date_to.isoformat() if self.value_date_to else None,
            "from_sequence": self.from_sequence,
            "to_sequence": self.to_sequence,
        }


@dataclass(slots=True)
class BookRange:
    """One book's part of an export: the sequence range covered and the hashes at both ends."""

    book: str
    from_seq: int
    to_seq: int
    prev_hash: str  # the hash leg `from_seq` names as prev (the hash of from_seq - 1; genesis for 1)
    head_hash: str  # the hash of leg `to_seq`: the chain head at the end of the range
    book_head: tuple[int, str]  # the book's stored head when the export started
    legs: int = 0
    postings: int = 0
    first_seq: int | None = None
    last_seq: int | None = None

    def document(self) -> dict[str, Any]:
        return {
            "book": self.book,
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "prev_hash": self.prev_hash,
            "head_hash": self.head_hash,
            "book_head": {"seq": self.book_head[0], "hash": self.book_head[1]},
            "legs": self.legs,
            "postings": self.postings,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
        }


@dataclass(slots=True)
class ManifestBuilder:
    """Running totals of an export, fed every leg in file order."""

    format: str
    filters: Filters
    books: dict[str, BookRange]
    scales: Mapping[str, int]
    heads: Sequence[tuple[str, int, str]]  # every book's head when the export started (the checkpoint)
    taken_at: dt.datetime
    legs: int = 0
    postings: int = 0
    totals: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    balances: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    # book → account id → [debits, credits, code, commodity], until folded into totals and balances
    _sums: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def add_legs(self, book: str, legs: Sequence[ExportLeg], accounts: Mapping[str, AccountInfo]) -> None:
        """Count a batch of `book`'s legs, in file order; `accounts` are the book's accounts by id text.

        Amounts are summed per account id here (one dict lookup per posting: this runs for every posting
        of the journal) and folded into totals per commodity and balances per account code once, at the end.
        """
        if not legs:
            return
        sums = self._sums.setdefault(book, {})
        postings = 0
        for leg in legs:
            ps = leg.postings
            postings += len(ps)
            for account, amount in ps:
                pair = sums.get(account)
                if pair is None:
                    info = accounts.get(account)
                    pair = sums[account] = [0, 0, info.code if info else "?", info.commodity if info else "?"]
                if amount >= 0:
                    pair[0] += amount
                else:
                    pair[1] -= amount
        self.legs += len(legs)
        self.postings += postings
        entry = self.books.get(book)
        if entry is not None:
            entry.legs += len(legs)
            entry.postings += postings
            first, last = legs[0].seq, legs[-1].seq
            entry.first_seq = first if entry.first_seq is None else min(entry.first_seq, first)
            entry.last_seq = last if entry.last_seq is None else max(entry.last_seq, last)

    def _fold(self) -> None:
        """Per-account sums into `totals` (per book and commodity) and `balances` (per account code)."""
        for book, sums in self._sums.items():
            for debit_sum, credit_sum, code, commodity in sums.values():
                pair = self.totals[(book, commodity)]
                pair[0] += debit_sum
                pair[1] += credit_sum
                self.balances[(book, code, commodity)] += debit_sum - credit_sum
        self._sums.clear()

    def document(
        self, *, transactions: int, sha256: str, size_bytes: int, signed_checkpoint: str | None = None
    ) -> dict[str, Any]:
        """The manifest; `transactions` is the count of distinct transactions (legs share them);
        `signed_checkpoint` the server's signed note over the same heads (audit/checkpoint.py), or None."""
        self._fold()
        return {
            "manifest_version": MANIFEST_VERSION,
            "encoding_version": ENCODING_VERSION,
            "format": self.format,
            "created_at": format_instant(self.taken_at),
            "filters": self.filters.document(),
            "complete": self.filters.complete,
            "counts": {"transactions": transactions, "legs": self.legs, "postings": self.postings},
            "size_bytes": size_bytes,
            "sha256": sha256,
            "books": [self.books[b].document() for b in sorted(self.books)],
            "totals": [
                {"book": b, "commodity": c, "debits": d, "credits": k} for (b, c), (d, k) in sorted(self.totals.items())
            ],
            "balances": [
                {"book": b, "account": a, "commodity": c, "balance": v}
                for (b, a, c), v in sorted(self.balances.items())
            ],
            "commodities": [{"code": c, "scale": s} for c, s in sorted(self.scales.items())],
            "checkpoint": {
                "hash": checkpoint_hash(self.heads),
                "books": [[b, s, h] for b, s, h in sorted(self.heads)],
            },
            "signed_checkpoint": signed_checkpoint,
        }


def empty_range(book: str, head: tuple[int, str]) -> BookRange:
    """A book with nothing selected."""
    return BookRange(book, 1, 0, GENESIS_HASH, GENESIS_HASH, head)
