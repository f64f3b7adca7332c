"""The server's side of signed checkpoints and proofs: read heads and Merkle roots, sign, prove.

`Notary` holds the ledger's log name (the note's origin) and its signing keys (audit/checkpoint.py);
`sign_heads` signs the heads an export or GetCheckpoint read, with every book's Merkle root at that size.
Proofs come from ledger/merkle_store.py. Read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from audit.checkpoint import Checkpoint, Signer, build, sign
from ledger.db import Engines
from ledger.errors import InvalidArgument, NotFound
from ledger.merkle_store import MerkleReader


@dataclass(frozen=True, slots=True)
class InclusionProof:
    book: str
    seq: int
    tree_size: int
    leaf_hash: bytes
    leg_hash: str
    path: list[bytes]
    root: bytes


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    book: str
    first_size: int
    second_size: int
    path: list[bytes]
    first_root: bytes
    second_root: bytes


class Notary:
    """Signs checkpoints of one ledger and answers proofs about its books' trees."""

    def __init__(self, engines: Engines, origin: str, signers: Sequence[Signer], clock: Callable[[], dt.datetime]):
        if not signers:
            raise ValueError("a notary needs at least one signing key")
        self._trees = MerkleReader(engines)
        self.origin = origin
        self.signers = list(signers)
        self._clock = clock

    def sign_heads(self, heads: Sequence[tuple[str, int, str]]) -> tuple[Checkpoint, str]:
        """The checkpoint over `heads` (every book's head, read earlier) and its signed note."""
        roots = self._trees.roots([h for h in heads if h[1]])
        checkpoint = build(self.origin, heads, roots, self._clock())
        return checkpoint, sign(checkpoint, self.signers)

    def current(self) -> tuple[Checkpoint, str]:
        return self.sign_heads(self._trees.heads())

    def head_of(self, book: str) -> int:
        found = self._trees.head_of(book)
        if found is None:
            raise NotFound(f"parties/{book}", "book")
        return found

    def leg_concerns(self, book: str, seq: int, party: str) -> bool:
        """Whether leg `seq` of `book` exists and concerns `party` (its own book's, or of a transaction that
        also posted to `party`'s book)."""
        return self._trees.leg_concerns(book, seq, party)

    def inclusion(self, book: str, seq: int, tree_size: int) -> InclusionProof:
        head = self.head_of(book)
        size = tree_size or head
        if seq < 1 or seq > head:
            raise NotFound(f"parties/{book}/legs/{seq}", "leg")
        if size > head:
            raise InvalidArgument.one("tree_size", f"is beyond the book's head ({head})")
        if size < seq:
            raise InvalidArgument.one("tree_size", f"must be at least the sequence ({seq})")
        leaf, digest, path, root = self._trees.inclusion(book, seq, size)
        return InclusionProof(book, seq, size, leaf, digest, path, root)

    def consistency(self, book: str, first: int, second: int) -> ConsistencyProof:
        head = self.head_of(book)
        second = second or head
        if second > head:
            raise InvalidArgument.one("second_size", f"is beyond the book's head ({head})")
        if not 0 <= first <= second:
            raise InvalidArgument.one("first_size", f"must be between 0 and second_size ({second})")
        path, first_root, second_root = self._trees.consistency(book, first, second)
        return ConsistencyProof(book, first, second, path, first_root, second_root)
