"""Checking one book's chain from its legs, in one pass and flat memory: toudai's one chain verifier.

The same checker runs on the server (`verify_book`, what VerifyChain answers, over the database's rows)
and offline (over an exported file), so both name faults alike. Legs are fed in the order they were found; the checker
remembers only what it still waits for: the hash of a leg whose successor has not come yet, the `prev`
of a leg whose predecessor has not come yet, and the sequence ranges not yet seen. For an export in
(book, seq) order that is a handful of entries, whatever the book's size.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit.model import (
    BROKEN_LINK,
    EDITED,
    EXTRA,
    HEAD_MISMATCH,
    MISSING,
    REORDERED,
    UNBALANCED,
    Fault,
    LegRow,
)
from ledger.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    from ledger.journal_reader import JournalReader


@dataclass(frozen=True, slots=True)
class BookVerification:
    """One book's chain re-verified from the stored rows over a range of sequence numbers."""

    party: str
    legs_checked: int
    head_sequence: int
    head_hash: str
    computed_hash: str  # the stored hash of the range's last leg, as the checker found it ("" if none)
    faults: tuple[Fault, ...]

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def first_bad(self) -> int:
        """The lowest sequence number with a fault (0 if none)."""
        return min((f.seq for f in self.faults), default=0)


def verify_book(reader: JournalReader, party: str, first: int = 1, last: int = 0) -> BookVerification:
    """Re-verify `party`'s chain from `first` to `last` (0: to the head) from the database's rows.

    Every leg's hash is recomputed from its stored content, every link and the sequence checked, and
    the range read on past the head (a leg stored beyond the head is an inserted row). Raises NotFound
    for an unknown party and InvalidArgument for an empty or negative range.
    """
    if first < 0 or last < 0:
        raise InvalidArgument.one("from_sequence", "sequence numbers must not be negative")
    heads = {b: (s, h) for b, s, h in reader.heads()}
    if party not in heads:
        raise NotFound(f"parties/{party}", "party")
    head_seq, head_hash = heads[party]
    first = max(first, 1)
    to_head = last == 0 or last >= head_seq
    last = head_seq if to_head else last
    if last < first and not (to_head and head_seq == 0):
        raise InvalidArgument.one("to_sequence", f"the range {first}..{last} is empty (the head is {head_seq})")
    checker = ChainChecker(
        party,
        first,
        last,
        prev_hash=reader.hash_at(party, first - 1) or None,
        head_hash=head_hash if to_head else None,
    )
    for row in reader.legs(party, first, None if to_head else last):
        checker.feed(row)
    faults = checker.finish()
    return BookVerification(party, checker.checked, head_seq, head_hash, checker.last_hash or "", tuple(faults))


class ChainChecker:
    """Checks the legs of `book` numbered `first`..`last` (inclusive).

    Args:
        book: the party id.
        first: the first sequence number of the range.
        last: the last sequence number of the range (the chain head at the end of it).
        prev_hash: the hash the leg `first` must name as `prev` (the genesis hash when `first` is 1),
            or None when unknown.
        head_hash: the hash the leg `last` must have, or None when unknown.
        complete: every leg of the range must be present (False for exports filtered by account or date,
            where gaps are expected and only what is present is checked).
    """

    def __init__(
        self,
        book: str,
        first: int,
        last: int,
        *,
        prev_hash: str | None,
        head_hash: str | None,
        complete: bool = True,
    ) -> None:
        self.book = book
        self.first = first
        self.last = last
        self.prev_hash = prev_hash
        self.head_hash = head_hash
        self.complete = complete
        self.faults: list[Fault] = []
        self.checked = 0
        self.last_hash: str | None = None
        self._expected = first
        self._gaps: list[list[int]] = []  # sorted, disjoint [lo, hi] ranges skipped so far
        self._hash_of: dict[int, tuple[str, bool]] = {}  # seq → (stored hash, edited) until its successor comes
        self._prev_of: dict[int, tuple[str, bool]] = {}  # seq → (recorded prev, edited) until its predecessor comes
        self._seen_last = False

    def _fault(self, seq: int, kind: str, message: str) -> None:
        self.faults.append(Fault(self.book, seq, kind, message))

    def _take_from_gaps(self, seq: int) -> bool:
        """Remove `seq` from the skipped ranges; False if it was not skipped (so: seen before)."""
        index = bisect.bisect_right(self._gaps, seq, key=lambda r: r[0]) - 1
        if index < 0:
            return False
        lo, hi = self._gaps[index]
        if not lo <= seq <= hi:
            return False
        replacement = [r for r in ([lo, seq - 1], [seq + 1, hi]) if r[0] <= r[1]]
        self._gaps[index : index + 1] = replacement
        return True

    def feed(self, row: LegRow) -> None:
        """Check one leg (recomputing its hash from the row's document)."""
        postings = [(p.account, p.commodity, p.amount) for p in row.postings]
        self.feed_leg(row.seq, row.prev, row.hash, row.computed_hash(), postings)

    def feed_leg(self, seq: int, prev: str, stored: str, computed: str, postings: list[tuple[str, str, int]]) -> None:
        """Check one leg given its hash recomputed by the caller (the offline verifier computes it from the
        file's text directly); `postings` are (account, commodity, signed amount)."""
        self.checked += 1
        edited = computed != stored
        if edited:
            self._fault(seq, EDITED, "the leg's content does not match its hash (edited row)")
        self._balance(seq, postings)
        if seq < self.first or seq > self.last:
            self._fault(seq, EXTRA, f"outside the range {self.first}..{self.last} (an extra or inserted leg)")
            return
        if seq == self._expected:
            self._expected = seq + 1
        elif seq > self._expected:
            self._gaps.append([self._expected, seq - 1])
            self._expected = seq + 1
        elif self._take_from_gaps(seq):
            self._fault(seq, REORDERED, "appears after a later leg (reordered rows)")
        else:
            self._fault(seq, EXTRA, "this sequence number appears more than once (an extra or duplicated leg)")
            return
        self._link(seq, prev, stored, edited)
        if seq == self.last:
            self._seen_last = True
            self.last_hash = stored
            if self.head_hash is not None and stored != self.head_hash:
                self._fault(seq, HEAD_MISMATCH, f"hash {stored[:12]}… is not the head {self.head_hash[:12]}…")

    def _balance(self, seq: int, postings: list[tuple[str, str, int]]) -> None:
        """A fault per commodity whose postings do not sum to zero (one commodity: a plain sum)."""
        commodity = postings[0][1] if postings else ""
        total = 0
        for _, other, amount in postings:
            if other != commodity:
                break
            total += amount
        else:
            if total:
                self._fault(seq, UNBALANCED, f"postings sum to {total} minor units of {commodity}, not zero")
            return
        sums: dict[str, int] = defaultdict(int)
        for _, other, amount in postings:
            sums[other] += amount
        for other, total in sorted(sums.items()):
            if total:
                self._fault(seq, UNBALANCED, f"postings sum to {total} minor units of {other}, not zero")

    def _link(self, seq: int, prev: str, stored: str, edited: bool) -> None:
        """Check the links to the neighbours seen so far; wait for the others.

        A broken link between k and k+1 is blamed on k+1 when k+1's own content does not match its hash
        (a forged or edited successor), else on k (k was rewritten and re-hashed: its successor still
        names the old hash).
        """
        if seq == self.first:
            if self.prev_hash is not None and prev != self.prev_hash:
                self._fault(seq, BROKEN_LINK, "prev is not the hash the range must start from")
        elif seq - 1 in self._hash_of:
            before, _ = self._hash_of.pop(seq - 1)
            if prev != before:
                self._broken(seq - 1, edited)
        else:
            self._prev_of[seq] = (prev, edited)
        if seq + 1 in self._prev_of:
            after, after_edited = self._prev_of.pop(seq + 1)
            if after != stored:
                self._broken(seq, after_edited)
        elif seq < self.last:
            self._hash_of[seq] = (stored, edited)

    def _broken(self, seq: int, successor_edited: bool) -> None:
        if successor_edited:
            self._fault(seq + 1, BROKEN_LINK, f"prev is not the hash of seq {seq} (a forged or edited leg)")
        else:
            self._fault(seq, BROKEN_LINK, f"its hash is not what seq {seq + 1} names as prev (seq {seq} rewritten)")

    def finish(self) -> list[Fault]:
        """The faults found, sorted by sequence number (call once, after the last leg)."""
        if self.complete:
            gaps = [*self._gaps]
            if self._expected <= self.last:
                gaps.append([self._expected, self.last])
            for lo, hi in gaps:
                span = f"seq {lo}" if lo == hi else f"seq {lo}..{hi} ({hi - lo + 1} legs)"
                self._fault(lo, MISSING, f"{span} missing (deleted rows or a gap)")
        self.faults.sort()
        return self.faults

    @property
    def first_bad(self) -> int:
        return min((f.seq for f in self.faults), default=0)
