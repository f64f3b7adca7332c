"""RFC 9162 (Certificate Transparency v2) Merkle trees over a book's legs, as pure functions.

Beside its hash chain every book has a Merkle tree whose leaves are its legs in sequence order: leaf
`seq - 1` is the 32 raw bytes of leg `seq`'s chain hash (the `hash` the journal stores, as bytes, not hex).
The chain hash already commits to the leg's whole canonical document and to its predecessor, so an auditor
with an export recomputes the leaves from what the chain verification computes anyway, and a proof reveals
nothing of the leg but that hash. Hashing is RFC 9162 §2.1.1: leaf = SHA-256(0x00 || leaf bytes), node =
SHA-256(0x01 || left || right), a tree of n > 1 leaves split at k, the largest power of two below n; the
empty tree's root is SHA-256 of nothing.

Every function here reads tree nodes through a `Getter`: (level, index) → the root of the perfect subtree
of 2**level leaves starting at leaf index * 2**level. ledger/merkle_store.py provides one over the
database (stored nodes from level STORED_LEVEL up, the rest recomputed from the legs); `keys_needed`
tells it which nodes to fetch in one go. docs/audit.md, "The Merkle tree and proofs", has the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "STORED_LEVEL",
    "Getter",
    "consistency_path",
    "inclusion_path",
    "keys_needed",
    "leaf_hash",
    "leg_leaf",
    "node_hash",
    "perfect_root",
    "root",
    "split",
    "subtree",
]

#: Nodes of this level and above (perfect subtrees of 64 legs or more) are stored as they complete; the
#: ones below are recomputed from the legs' hashes (at most 63 legs read per subtree). About one stored
#: row per 32 legs.
STORED_LEVEL = 6

EMPTY_ROOT = hashlib.sha256(b"").digest()

Getter = Callable[[int, int], bytes]

_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x00 || leaf)."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def leg_leaf(chain_hash_hex: str) -> bytes:
    """The leaf hash of a leg: the leaf is its chain hash as 32 raw bytes."""
    return _sha256(b"\x00" + bytes.fromhex(chain_hash_hex)).digest()


def perfect_root(leaves: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree (len a power of two) from its leaf hashes."""
    level = list(leaves)
    while len(level) > 1:
        level = [_sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree(get: Getter, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces (start a multiple of split's sizes)."""
    size = end - start
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return get(level, start >> level)
    k = split(size)
    return node_hash(subtree(get, start, start + k), subtree(get, start + k, end))


def root(get: Getter, size: int) -> bytes:
    """The root of the tree of the first `size` leaves."""
    return EMPTY_ROOT if size == 0 else subtree(get, 0, size)


def inclusion_path(get: Getter, index: int, size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[0:size]): the audit path of leaf `index` (0-based) in a tree of `size`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(subtree(get, start + k, end))
            end = start + k
        else:
            path.append(subtree(get, start, start + k))
            start += k
    path.reverse()  # the RFC lists the path from the leaf up
    return path


def consistency_path(get: Getter, first: int, second: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 PROOF(first, D[0:second]); empty when first is 0 or equals second."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    out: list[bytes] = []

    def sub(m: int, start: int, end: int, whole: bool) -> None:
        size = end - start
        if m == size:
            if not whole:
                out.append(subtree(get, start, end))
            return
        k = split(size)
        if m <= k:
            sub(m, start, start + k, whole)
            out.append(subtree(get, start + k, end))
        else:
            sub(m - k, start + k, end, False)
            out.append(subtree(get, start, start + k))

    sub(first, 0, second, True)
    return out


def keys_needed(run: Callable[[Getter], object]) -> set[tuple[int, int]]:
    """The (level, index) nodes `run` reads, found by running it over placeholder hashes."""
    keys: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        keys.add((level, index))
        return EMPTY_ROOT

    run(record)
    return keys
