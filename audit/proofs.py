"""Checking Merkle proofs offline, with nothing but Python's standard library (RFC 9162 §2.1.3.2, §2.1.4.2).

A book's Merkle tree has one leaf per leg, in sequence order; the leaf is the leg's chain hash as 32 raw
bytes (docs/audit.md, "The Merkle tree and proofs"). This module deliberately imports nothing of toudai,
so an auditor can copy it or reimplement it from the RFC:

- `leg_leaf_hash(chain_hash_hex)`: SHA-256(0x00 || bytes.fromhex(chain_hash_hex));
- `root_of(leaf_hashes)`: the tree's root (MTH) from all its leaf hashes (to recompute it from an export);
- `verify_inclusion(...)` and `verify_consistency(...)`: the RFC's verification algorithms, verbatim;
- `check_proof(document, roots)`: a proof file written by `toudai audit prove` or `toudai audit consistency`
  against the roots of a checkpoint the auditor trusts (audit/checkpoint.py verifies its signature).

Hashes in proof files and checkpoints are standard base64 (the C2SP checkpoint convention); chain hashes
are lowercase hex, as everywhere in the journal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

INCLUSION = "toudai-inclusion-proof/v1"
CONSISTENCY = "toudai-consistency-proof/v1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a proof file that is not well formed."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leg_leaf_hash(chain_hash_hex: str) -> bytes:
    """The leaf hash of a leg: the leaf is the leg's chain hash as 32 bytes."""
    return leaf_hash(bytes.fromhex(chain_hash_hex))


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over the leaf hashes `leaves` (RFC 9162 §2.1.1): split at the largest power of two below n."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: is `leaf` (a leaf hash) at 0-based `index` of the tree of `size` with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of `first` leaves with `first_root` a prefix of the one of `second`?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == EMPTY_ROOT  # the empty tree is a prefix of every tree
    if not path:
        return False
    nodes = list(path)
    if first & (first - 1) == 0:  # an exact power of two: the proof starts with the first tree's root
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, where: str) -> bytes:
    if not isinstance(text, str):
        raise ProofError(f"{where}: expected a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofError(f"{where}: not standard base64: {text!r}") from None
    if len(data) != 32:
        raise ProofError(f"{where}: a SHA-256 hash has 32 bytes, not {len(data)}")
    return data


def _int(document: Mapping[str, Any], key: str) -> int:
    value = document.get(key)
    if type(value) is not int or value < 0:
        raise ProofError(f"{key}: expected a non-negative integer, got {value!r}")
    return value


def check_proof(document: Mapping[str, Any], roots: Mapping[str, Mapping[int, bytes]]) -> str:
    """Check a proof file against trusted roots (book → tree size → root, from one or more verified
    checkpoints); returns what it proved, or raises ProofError naming what does not hold.

    An inclusion proof is checked against its book's root at its tree size, which a trusted checkpoint
    must state. A consistency proof's roots must be the trusted ones for every size a trusted checkpoint
    states (give both checkpoints to prove that the later one extends the earlier) and at least one.
    """
    kind = document.get("type")
    book = document.get("book")
    if not isinstance(book, str) or not book:
        raise ProofError("book: missing")
    known = roots.get(book, {})
    path = [unb64(p, f"path[{i}]") for i, p in enumerate(document.get("path") or [])]
    if kind == INCLUSION:
        seq, size = _int(document, "seq"), _int(document, "tree_size")
        leaf = unb64(document.get("leaf_hash"), "leaf_hash")
        chain = document.get("leg_hash")
        if isinstance(chain, str) and chain and leg_leaf_hash(chain) != leaf:
            raise ProofError(f"{book} leg {seq}: leaf_hash is not the leaf hash of leg_hash {chain}")
        if size not in known:
            raise ProofError(f"{book}: no trusted checkpoint states tree size {size}")
        if not verify_inclusion(leaf, seq - 1, size, path, known[size]):
            raise ProofError(f"{book} leg {seq}: the inclusion proof does not lead to the checkpoint's root of {size}")
        return f"{book} leg {seq} is in the book's tree of {size} legs under the checkpoint"
    if kind == CONSISTENCY:
        first, second = _int(document, "first_size"), _int(document, "second_size")
        first_root = unb64(document.get("first_root"), "first_root")
        second_root = unb64(document.get("second_root"), "second_root")
        for size, root in ((first, first_root), (second, second_root)):
            if size in known and known[size] != root:
                raise ProofError(f"{book}: the proof's root of tree size {size} is not the checkpoint's")
        if first not in known and second not in known:
            raise ProofError(f"{book}: no trusted checkpoint states tree size {first} or {second}")
        if not verify_consistency(first, second, first_root, second_root, path):
            raise ProofError(f"{book}: the tree of {first} legs is not a prefix of the tree of {second} legs")
        both = first in known and second in known
        return f"{book}: the tree of {second} legs extends the tree of {first} legs" + (
            "" if both else " (only one of the two roots is from a trusted checkpoint)"
        )
    raise ProofError(f"type: expected {INCLUSION!r} or {CONSISTENCY!r}, got {kind!r}")
