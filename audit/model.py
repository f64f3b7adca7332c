"""The rows of an export: a leg (one book's part of a transaction) with its postings, and faults.

A `LegRow` carries exactly the fields of the leg's canonical document (ledger.canonical.leg_document)
plus the stored hash, so whoever holds one can recompute the hash without any other data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.canonical import ENCODING_VERSION, canonical_json, sha256_hex


@dataclass(frozen=True, slots=True)
class PostingRow:
    """One posting of a leg: the account's code in the book, the commodity, signed minor units (debit +)."""

    account: str
    commodity: str
    amount: int


@dataclass(frozen=True, slots=True)
class LegRow:
    """One leg as exported: the canonical leg document's fields and the stored hash."""

    book: str
    seq: int
    prev: str
    hash: str
    tx: str
    request_id: str
    value_date: str
    recorded_at: str
    description: str
    metadata: Mapping[str, str]
    reverses: str | None
    postings: tuple[PostingRow, ...]
    v: int = ENCODING_VERSION

    def document(self) -> dict[str, Any]:
        """The canonical leg document (without the hash), as ledger.canonical.leg_document builds it."""
        return {
            "v": self.v,
            "book": self.book,
            "seq": self.seq,
            "prev": self.prev,
            "tx": self.tx,
            "request_id": self.request_id,
            "value_date": self.value_date,
            "recorded_at": self.recorded_at,
            "description": self.description,
            "metadata": dict(self.metadata),
            "reverses": self.reverses,
            "postings": [{"account": p.account, "commodity": p.commodity, "amount": p.amount} for p in self.postings],
        }

    def computed_hash(self) -> str:
        """SHA-256 of the canonical serialisation of `document()`."""
        return sha256_hex(canonical_json(self.document()))

    def row(self) -> dict[str, Any]:
        """The JSON Lines row: the document plus `hash`."""
        row = self.document()
        row["hash"] = self.hash
        return row

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.value_date)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """What an export needs to know of an account: its book, code, type, commodity and opening date."""

    book: str
    code: str
    type: str  # asset, liability, equity, income, expense
    commodity: str
    opened: dt.date


@dataclass(frozen=True, slots=True, order=True)
class Fault:
    """One thing wrong with a book or an export, at a sequence number (0 when it concerns no leg)."""

    book: str
    seq: int
    kind: str
    message: str = field(compare=False)

    def text(self) -> str:
        where = f"{self.book} seq {self.seq}" if self.seq else (self.book or "export")
        return f"{where}: {self.kind}: {self.message}"


# The fault kinds, stable for scripts (docs/audit.md).
EDITED = "EDITED"
MISSING = "MISSING"
EXTRA = "EXTRA"
REORDERED = "REORDERED"
BROKEN_LINK = "BROKEN_LINK"
HEAD_MISMATCH = "HEAD_MISMATCH"
UNBALANCED = "UNBALANCED"
MALFORMED = "MALFORMED"
MANIFEST = "MANIFEST"
