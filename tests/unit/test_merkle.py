"""RFC 9162 Merkle hashing (ledger/merkle.py) and the offline checker (audit/proofs.py).

The vectors are the RFC 6962 / Certificate Transparency reference ones (the same hashing as RFC 9162):
eight leaves of raw bytes and the roots of their prefixes, as in certificate-transparency-go's and
transparency-dev/merkle's test data; the 3- and 7-leaf trees are also spelt out with hashlib by hand.
"""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from audit import proofs
from ledger import merkle, merkle_store

LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}


def _getter(leaf_hashes: list[bytes]) -> merkle.Getter:
    return lambda level, index: merkle.perfect_root(leaf_hashes[index << level : (index + 1) << level])


def test_reference_roots() -> None:
    hashed = [merkle.leaf_hash(x) for x in LEAVES]
    assert merkle.root(_getter(hashed), 0).hex() == hashlib.sha256(b"").hexdigest()
    for size, expected in ROOTS.items():
        assert merkle.root(_getter(hashed), size).hex() == expected
        assert proofs.root_of(hashed[:size]).hex() == expected


def test_three_and_seven_leaves_by_hand() -> None:
    def h(data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    a, b, c, d, e, f, g = (h(b"\x00" + bytes([i])) for i in range(7))
    leaves = [a, b, c, d, e, f, g]
    ab, cd, ef = h(b"\x01" + a + b), h(b"\x01" + c + d), h(b"\x01" + e + f)
    abcd = h(b"\x01" + ab + cd)
    assert merkle.root(_getter(leaves), 3) == h(b"\x01" + ab + c)
    assert merkle.root(_getter(leaves), 7) == h(b"\x01" + abcd + h(b"\x01" + ef + g))
    # RFC 9162 §2.1.5's examples: the path of d in the 7-leaf tree is [c, ab, efg]; PROOF(3, D[7]) is
    # [c, d, ab, efg]; PROOF(4, D[7]) is [efg]; PROOF(6, D[7]) is [ef, g, abcd]
    efg = h(b"\x01" + ef + g)
    get = _getter(leaves)
    assert merkle.inclusion_path(get, 3, 7) == [c, ab, efg]
    assert merkle.consistency_path(get, 3, 7) == [c, d, ab, efg]
    assert merkle.consistency_path(get, 4, 7) == [efg]
    assert merkle.consistency_path(get, 6, 7) == [ef, g, abcd]
    assert proofs.verify_inclusion(d, 3, 7, [c, ab, efg], merkle.root(get, 7))
    assert proofs.verify_consistency(3, 7, merkle.root(get, 3), merkle.root(get, 7), [c, d, ab, efg])


@given(st.integers(1, 300), st.data())
def test_proofs_verify_and_forgeries_fail(size: int, data: st.DataObject) -> None:
    leaves = [merkle.leg_leaf(hashlib.sha256(str(i).encode()).hexdigest()) for i in range(size)]
    get = _getter(leaves)
    root = merkle.root(get, size)
    index = data.draw(st.integers(0, size - 1))
    path = merkle.inclusion_path(get, index, size)
    assert proofs.verify_inclusion(leaves[index], index, size, path, root)
    assert not proofs.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, path, root)
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        assert not proofs.verify_inclusion(leaves[index], other, size, path, root)
    first = data.draw(st.integers(0, size))
    proof = merkle.consistency_path(get, first, size)
    first_root = merkle.root(get, first)
    assert proofs.verify_consistency(first, size, first_root, root, proof)
    if 0 < first < size:
        assert not proofs.verify_consistency(first, size, merkle.leaf_hash(b"x"), root, proof)
        assert not proofs.verify_consistency(first, size, first_root, merkle.leaf_hash(b"x"), proof)


@given(st.lists(st.integers(1, 90), min_size=1, max_size=8))
def test_incremental_nodes_equal_a_single_build(batches: list[int]) -> None:
    total = sum(batches)
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(total)]
    whole = {(level, index): digest for level, index, digest in merkle_store.extend(0, hashes, {})}
    nodes: dict[tuple[int, int], bytes] = {}
    n0 = 0
    for size in batches:
        start = n0 - n0 % merkle_store.BLOCK
        frontier = {
            lv: nodes[(lv, (start >> lv) - 1)]
            for lv in range(merkle.STORED_LEVEL, start.bit_length())
            if start >> lv & 1
        }
        for level, index, digest in merkle_store.extend(start, hashes[start : n0 + size], frontier):
            nodes[(level, index)] = digest
        n0 += size
    assert nodes == whole
    leaves = [merkle.leg_leaf(h) for h in hashes]
    for (level, index), digest in whole.items():
        assert digest == merkle.perfect_root(leaves[index << level : (index + 1) << level])
