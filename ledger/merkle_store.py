"""Each book's Merkle tree in the database: appended on the posting path, read for roots and proofs.

`merkle_nodes` holds the root of every perfect subtree of 2**level legs for level >= STORED_LEVEL (64
legs and up), written in the same database transaction as the legs that complete it; subtrees below
that level are recomputed from `legs.hash` (at most 63 legs). Appending is amortised O(1) per leg: a
posting that completes no 64-leg block reads and writes nothing; one that does reads the block's earlier
legs and the book's stored frontier (at most one node per level) in two queries and inserts the completed
nodes (one per 32 legs on average). Any root, inclusion proof or consistency proof for a tree size up
to the head reads O(log n) stored nodes plus at most two partial blocks of legs.

`backfill` builds a book's nodes from its legs (migration 0012 does the same for books that existed
before it). See ledger/merkle.py for the hashing and docs/audit.md for the format.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from ledger import merkle
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.db import Engines

BLOCK = 1 << merkle.STORED_LEVEL


# ---------------------------------------------------------------------- appending (the posting path)


def append(conn: sa.Connection, legs: Sequence[tuple[Any, ...]]) -> None:
    """Extend the books' trees with a batch's legs: (party, seq, ..., hash) rows in sequence order per
    party (ledger.posting.JournalRows.legs), inside the posting's database transaction."""
    new: dict[str, list[str]] = defaultdict(list)
    first: dict[str, int] = {}
    for row in legs:
        party = row[0]
        if party not in first:
            first[party] = row[1]
        new[party].append(row[-1])
    # Only books where a 64-leg block completes need anything: the common single-leg case returns here.
    work = {p: first[p] - 1 for p in new if (first[p] - 1 + len(new[p])) // BLOCK > (first[p] - 1) // BLOCK}
    if not work:
        return
    old_leaves = _old_leaves(conn, work)
    frontier = _frontier(conn, work)
    rows: list[dict[str, Any]] = []
    for party, n0 in work.items():
        start = n0 - n0 % BLOCK
        for level, index, digest in extend(start, old_leaves.get(party, []) + new[party], frontier.get(party, {})):
            rows.append({"party_id": party, "level": level, "idx": index, "hash": digest.hex()})
    if rows:
        conn.execute(t.merkle_nodes.insert(), rows)


def extend(start: int, hashes: Sequence[str], frontier: dict[int, bytes]) -> list[tuple[int, int, bytes]]:
    """The stored nodes completed by appending leaves whose chain hashes are `hashes`, the first of them at
    leaf index `start` (a multiple of BLOCK); `frontier` (level → hash) holds the stored nodes of the
    book's first `start` leaves' binary decomposition."""
    stack = sorted(((level, (start >> level) - 1, h) for level, h in frontier.items()), reverse=True)
    out: list[tuple[int, int, bytes]] = []
    for offset in range(0, len(hashes) - BLOCK + 1, BLOCK):
        digest = merkle.perfect_root([merkle.leg_leaf(h) for h in hashes[offset : offset + BLOCK]])
        level, index = merkle.STORED_LEVEL, (start + offset) >> merkle.STORED_LEVEL
        out.append((level, index, digest))
        while stack and stack[-1][0] == level:
            _, _, left = stack.pop()
            digest = merkle.node_hash(left, digest)
            level, index = level + 1, index >> 1
            out.append((level, index, digest))
        stack.append((level, index, digest))
    return out


def _old_leaves(conn: sa.Connection, work: dict[str, int]) -> dict[str, list[str]]:
    """Per book, the chain hashes of the legs already posted in its last incomplete block."""
    legs = t.legs
    ranges = [(p, n0 - n0 % BLOCK, n0) for p, n0 in work.items() if n0 % BLOCK]
    if not ranges:
        return {}
    query = (
        sa.select(legs.c.party_id, legs.c.hash)
        .where(sa.or_(*[sa.and_(legs.c.party_id == p, legs.c.seq > lo, legs.c.seq <= hi) for p, lo, hi in ranges]))
        .order_by(legs.c.party_id, legs.c.seq)
    )
    out: dict[str, list[str]] = defaultdict(list)
    for party, digest in conn.execute(query):
        out[party].append(digest)
    return out


def _frontier(conn: sa.Connection, work: dict[str, int]) -> dict[str, dict[int, bytes]]:
    """Per book, its stored frontier: the stored node of each level whose bit is set in its size."""
    nodes = t.merkle_nodes
    wanted = [
        (p, level, (n0 >> level) - 1)
        for p, n0 in work.items()
        for level in range(merkle.STORED_LEVEL, n0.bit_length())
        if n0 >> level & 1
    ]
    if not wanted:
        return {}
    query = sa.select(nodes.c.party_id, nodes.c.level, nodes.c.hash).where(
        sa.or_(*[sa.and_(nodes.c.party_id == p, nodes.c.level == lv, nodes.c.idx == i) for p, lv, i in wanted])
    )
    out: dict[str, dict[int, bytes]] = defaultdict(dict)
    for party, level, digest in conn.execute(query):
        out[party][level] = bytes.fromhex(digest)
    return out


def backfill(conn: sa.Connection, book: str) -> int:
    """Write every stored node of `book`'s tree from its legs (a book without nodes); returns how many."""
    hashes = [
        h for (h,) in conn.execute(sa.select(t.legs.c.hash).where(t.legs.c.party_id == book).order_by(t.legs.c.seq))
    ]
    rows = [
        {"party_id": book, "level": level, "idx": index, "hash": digest.hex()}
        for level, index, digest in extend(0, hashes, {})
    ]
    if rows:
        conn.execute(t.merkle_nodes.insert(), rows)
    return len(rows)


# ---------------------------------------------------------------------- reading roots and proofs


def getter(conn: sa.Connection, book: str, keys: Iterable[tuple[int, int]]) -> merkle.Getter:
    """A Getter over `book`'s tree that serves the nodes `keys` (and their descendants), read in two queries."""
    stored: set[tuple[int, int]] = set()
    leaf_ranges: list[tuple[int, int]] = []
    for level, index in keys:
        if level >= merkle.STORED_LEVEL:
            stored.add((level, index))
        else:
            leaf_ranges.append((index << level, (index + 1) << level))
    nodes: dict[tuple[int, int], bytes] = {}
    if stored:
        table = t.merkle_nodes
        query = sa.select(table.c.level, table.c.idx, table.c.hash).where(
            table.c.party_id == book,
            sa.or_(*[sa.and_(table.c.level == lv, table.c.idx == i) for lv, i in sorted(stored)]),
        )
        for level, index, digest in conn.execute(query):
            nodes[(level, index)] = bytes.fromhex(digest)
    leaves: dict[int, bytes] = {}
    if leaf_ranges:
        legs = t.legs
        query = sa.select(legs.c.seq, legs.c.hash).where(
            legs.c.party_id == book,
            sa.or_(*[sa.and_(legs.c.seq > lo, legs.c.seq <= hi) for lo, hi in sorted(set(leaf_ranges))]),
        )
        for row in conn.execute(query):
            leaves[int(row.seq) - 1] = merkle.leg_leaf(row.hash)

    def get(level: int, index: int) -> bytes:
        if level >= merkle.STORED_LEVEL:
            found = nodes.get((level, index))
            if found is None:
                raise LookupError(f"{book}: Merkle node ({level}, {index}) is not stored")
            return found
        lo = index << level
        try:
            return merkle.perfect_root([leaves[i] for i in range(lo, lo + (1 << level))])
        except KeyError:
            raise LookupError(f"{book}: a leg of leaves {lo}..{lo + (1 << level) - 1} is missing") from None

    return get


def _run(conn: sa.Connection, book: str, compute: Any) -> Any:
    return compute(getter(conn, book, merkle.keys_needed(compute)))


def root(conn: sa.Connection, book: str, size: int) -> bytes:
    """The root of `book`'s tree of its first `size` legs."""
    return _run(conn, book, lambda get: merkle.root(get, size))  # type: ignore[no-any-return]


def roots(conn: sa.Connection, heads: Iterable[tuple[str, int, str]]) -> dict[str, bytes]:
    """Each book's root at its sequence in `heads` (book, seq, hash)."""
    return {book: root(conn, book, seq) for book, seq, _ in heads}


def inclusion(conn: sa.Connection, book: str, seq: int, size: int) -> tuple[bytes, list[bytes]]:
    """(leaf hash of leg `seq`, its audit path in the tree of `size` legs)."""

    def compute(get: merkle.Getter) -> tuple[bytes, list[bytes]]:
        return get(0, seq - 1), merkle.inclusion_path(get, seq - 1, size)

    return _run(conn, book, compute)  # type: ignore[no-any-return]


def consistency(conn: sa.Connection, book: str, first: int, second: int) -> list[bytes]:
    """The consistency proof of `book`'s tree of `first` legs and its tree of `second` legs."""
    return _run(conn, book, lambda get: merkle.consistency_path(get, first, second))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- the read API for audit/


class MerkleReader:
    """Roots and proofs of the books' trees, each read in one read-only unit of work (for audit/)."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    def heads(self) -> list[tuple[str, int, str]]:
        query = sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash).order_by(t.books.c.party_id)
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        return [(r.party_id, int(r.head_seq), r.head_hash) for r in rows]

    def roots(self, heads: Iterable[tuple[str, int, str]]) -> dict[str, bytes]:
        """Each book's root at its sequence in `heads` (book, seq, hash)."""
        wanted = list(heads)
        return uow.read(self._engines.reader, lambda conn: roots(conn, wanted))

    def head_of(self, book: str) -> int | None:
        query = sa.select(t.books.c.head_seq).where(t.books.c.party_id == book)
        found = uow.read(self._engines.reader, lambda c: c.execute(query).scalar())
        return None if found is None else int(found)

    def leg_concerns(self, book: str, seq: int, party: str) -> bool:
        """Whether leg `seq` of `book` exists and is `party`'s own or a leg of a transaction that also
        posted a leg to `party`'s book."""
        legs = t.legs
        mine = legs.alias("mine")
        query = sa.select(legs.c.seq).where(
            legs.c.party_id == book,
            legs.c.seq == seq,
            sa.or_(
                legs.c.party_id == party,
                sa.exists().where(mine.c.transaction_id == legs.c.transaction_id, mine.c.party_id == party),
            ),
        )
        return uow.read(self._engines.reader, lambda c: c.execute(query).first()) is not None

    def inclusion(self, book: str, seq: int, size: int) -> tuple[bytes, str, list[bytes], bytes]:
        """(leaf hash, chain hash of the leg, audit path, root) of leg `seq` in the tree of `size` legs."""

        def read(conn: sa.Connection) -> tuple[bytes, str, list[bytes], bytes]:
            leaf, path = inclusion(conn, book, seq, size)
            query = sa.select(t.legs.c.hash).where(t.legs.c.party_id == book, t.legs.c.seq == seq)
            return leaf, str(conn.execute(query).scalar_one()), path, root(conn, book, size)

        return uow.read(self._engines.reader, read)

    def consistency(self, book: str, first: int, second: int) -> tuple[list[bytes], bytes, bytes]:
        """(proof, root of `first`, root of `second`)."""

        def read(conn: sa.Connection) -> tuple[list[bytes], bytes, bytes]:
            return consistency(conn, book, first, second), root(conn, book, first), root(conn, book, second)

        return uow.read(self._engines.reader, read)
