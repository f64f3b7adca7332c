"""The rows of an export (a leg with its postings, read by ledger.journal_reader) and the faults found in them.

A `LegRow` carries exactly the fields of the leg's canonical document (ledger.canonical.leg_document)
plus the stored hash, so whoever holds one can recompute the hash without any other data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.journal_reader import AccountInfo, LegRow, PostingRow

__all__ = ["AccountInfo", "Fault", "LegRow", "PostingRow"]


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
MALFORMED = "MALFORMED"  # no longer reported by the offline verifier: see FORMAT
FORMAT = "FORMAT"  # a field or row not spelled as the export grammar prescribes (audit.grammar)
MANIFEST = "MANIFEST"
