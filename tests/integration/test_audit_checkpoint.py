"""Signed checkpoints and Merkle proofs through a real server, on SQLite and PostgreSQL.

A book of a few hundred legs is posted in batches of random sizes (so the Merkle tree is extended across
64-leg blocks in every way); proofs come from GetInclusionProof / GetConsistencyProof and are checked
offline with audit/proofs.py against roots recomputed independently from the legs' hashes. A consistent
rewrite of history (every hash recomputed, the tree rebuilt, a fresh export) must fail against a
checkpoint signed before it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import pathlib
import random
import uuid

import grpc
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit import checkpoint as cp
from audit import proofs
from clients.cli import main as cli_main
from ledger import merkle_store
from ledger import schema as t
from ledger.canonical import canonical_json
from ledger.store import Ledger
from tests.integration.test_audit_export import export
from tests.integration.test_audit_seed import audit_stub, seed, transfer
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

BOOK = "bank-hz"
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _grow(stub: ledger_pb2_grpc.LedgerServiceStub, total: int, rng: random.Random) -> None:
    """`total` more transfers in bank-hz, in batches of random sizes (1 to 90)."""
    d = dt.date(2026, 4, 1)
    n = 0
    while n < total:
        size = min(rng.randint(1, 90), total - n)
        batch = [transfer(f"g-{i}", d, "bank-hz/loans.hz002", "bank-hz/cash", "0.01") for i in range(n, n + size)]
        stub.PostTransactions(pb.PostTransactionsRequest(transactions=batch))
        n += size


def _leg_hashes(ledger: Ledger, book: str = BOOK) -> list[str]:
    with ledger.engines.reader.connect() as conn:
        query = sa.select(t.legs.c.hash).where(t.legs.c.party_id == book).order_by(t.legs.c.seq)
        return [h for (h,) in conn.execute(query)]


@pytest.fixture
def book(stub: ledger_pb2_grpc.LedgerServiceStub, ledger: Ledger) -> list[bytes]:
    """The seeded world with bank-hz grown to 5 + 150..260 legs; returns bank-hz's leaf hashes."""
    seed(stub)
    rng = random.Random(19)
    _grow(stub, rng.randint(150, 260), rng)
    return [proofs.leg_leaf_hash(h) for h in _leg_hashes(ledger)]


def test_roots_of_every_size_match_an_independent_build(book: list[bytes], ledger: Ledger) -> None:
    with ledger.engines.reader.connect() as conn:
        for size in range(len(book) + 1):
            assert merkle_store.root(conn, BOOK, size) == proofs.root_of(book[:size]), size
        stored = conn.execute(sa.select(sa.func.count()).select_from(t.merkle_nodes)).scalar_one()
    assert stored >= len(book) // 64


@SETTINGS
@given(data=st.data())
def test_inclusion_proofs_verify_offline(book: list[bytes], channel: grpc.Channel, data: st.DataObject) -> None:
    audit = audit_stub(channel)
    size = data.draw(st.integers(1, len(book)), label="tree_size")
    seq = data.draw(st.integers(1, size), label="seq")
    r = audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BOOK, sequence=seq, tree_size=size))
    root = proofs.root_of(book[:size])
    assert r.root == root and r.leaf_hash == book[seq - 1]
    assert proofs.leg_leaf_hash(r.leg_hash) == r.leaf_hash
    assert proofs.verify_inclusion(r.leaf_hash, seq - 1, size, list(r.path), root)
    # a forged leg, a wrong sequence: refused
    forged = proofs.leg_leaf_hash(hashlib.sha256(b"forged").hexdigest())
    assert not proofs.verify_inclusion(forged, seq - 1, size, list(r.path), root)
    if size > 1:
        wrong = data.draw(st.integers(1, size).filter(lambda s: s != seq), label="wrong")
        assert not proofs.verify_inclusion(r.leaf_hash, wrong - 1, size, list(r.path), root)


@SETTINGS
@given(data=st.data())
def test_consistency_proofs_verify_offline(book: list[bytes], channel: grpc.Channel, data: st.DataObject) -> None:
    audit = audit_stub(channel)
    second = data.draw(st.integers(1, len(book)), label="second")  # (0 asks for the head)
    first = data.draw(st.integers(0, second), label="first")
    r = audit.GetConsistencyProof(apb.GetConsistencyProofRequest(book=BOOK, first_size=first, second_size=second))
    first_root, second_root = proofs.root_of(book[:first]), proofs.root_of(book[:second])
    assert (r.first_root, r.second_root) == (first_root, second_root)
    assert proofs.verify_consistency(first, second, first_root, second_root, list(r.path))
    if 0 < first < second:
        other = proofs.root_of([*book[: first - 1], proofs.leaf_hash(b"forged")])
        assert not proofs.verify_consistency(first, second, other, second_root, list(r.path))


def _verify_with_cryptography(note: str, vkey: str) -> str:
    """The signed-note check written out with `cryptography` and the standard library only."""
    name, key_hash, encoded = vkey.split("+", 2)  # (base64 may contain "+" too)
    public = base64.b64decode(encoded)[1:]
    assert hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4].hex() == key_hash
    body, signatures = note.split("\n\n", 1)
    body += "\n"
    line = next(s for s in signatures.splitlines() if s.startswith(f"\u2014 {name} "))
    raw = base64.b64decode(line.split(" ")[2])
    assert raw[:4].hex() == key_hash
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode())  # raises if forged
    return body


def test_signed_checkpoint(
    book: list[bytes], channel: grpc.Channel, server_address: str, tmp_path: pathlib.Path
) -> None:
    audit = audit_stub(channel)
    response = audit.GetCheckpoint(apb.GetCheckpointRequest())
    heads = audit.GetChainHead(apb.GetChainHeadRequest())
    assert len(response.keys) == 1
    body = _verify_with_cryptography(response.signed_note, response.keys[0].vkey)
    lines = body.splitlines()
    assert lines[0] == cp.DEFAULT_ORIGIN and lines[1] == f"checkpoint {heads.checkpoint}"
    books = {line.split()[1]: line.split()[2:] for line in lines[3:]}
    assert sorted(books) == sorted(h.party for h in heads.checkpoint_heads)
    size, root, head = books[BOOK]
    assert int(size) == len(book) and base64.b64decode(root) == proofs.root_of(book)
    assert head == {h.party: h.hash for h in heads.checkpoint_heads}[BOOK]
    trusted = [cp.parse_vkey(response.keys[0].vkey)]
    parsed = cp.verify_note(response.signed_note, trusted)
    assert parsed.books[BOOK].size == len(book)
    # signed by another key: refused; a changed body: refused
    stranger = cp.Signer("dev-checkpoint", Ed25519PrivateKey.generate())
    with pytest.raises(cp.CheckpointError, match="no signature by a trusted key"):
        cp.verify_note(cp.sign(parsed, [stranger]), trusted)
    with pytest.raises(cp.CheckpointError, match="does not verify"):
        cp.verify_note(response.signed_note.replace(f"book {BOOK} {size}", f"book {BOOK} {int(size) - 1}"), trusted)
    # the proof CLI round trip, offline checker included
    folder = tmp_path / "checkpoints"
    address = server_address
    assert cli_main(["audit", "checkpoint", "--out", str(folder), "--target", address]) == 0
    (note_file,) = folder.glob("checkpoint-*.txt")
    proof_file = tmp_path / "proof.json"
    argv = ["audit", "prove", "--book", BOOK, "--seq", "7", "--checkpoint", str(note_file), "--out", str(proof_file)]
    assert cli_main([*argv, "--target", address]) == 0
    assert cli_main(["audit", "verify-proof", str(proof_file), "--checkpoint", str(note_file)]) == 0
    document = json.loads(proof_file.read_text())
    document["leaf_hash"] = proofs.b64(proofs.leg_leaf_hash("00" * 32))
    document["leg_hash"] = ""
    proof_file.write_text(json.dumps(document))
    assert cli_main(["audit", "verify-proof", str(proof_file), "--checkpoint", str(note_file)]) == 1


def _rewrite(ledger: Ledger, export_path: pathlib.Path, seq: int) -> None:
    """Edit leg `seq` of bank-hz (its description) and recompute every later hash, the head and the tree."""
    rows = [json.loads(line) for line in export_path.read_text().splitlines()]
    legs = sorted((r for r in rows if r["book"] == BOOK), key=lambda r: r["seq"])
    with ledger.engines.writer.begin() as conn:
        prev = legs[0]["prev"]
        for row in legs:
            document = {k: v for k, v in row.items() if k != "hash"}
            document["prev"] = prev
            if row["seq"] == seq:
                document["description"] = "rewritten"
                conn.execute(
                    t.transactions.update()
                    .where(t.transactions.c.id == uuid.UUID(row["tx"]))
                    .values(description="rewritten")
                )
            digest = hashlib.sha256(canonical_json(document)).hexdigest()
            conn.execute(
                t.legs.update()
                .where(t.legs.c.party_id == BOOK, t.legs.c.seq == row["seq"])
                .values(prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(t.books.update().where(t.books.c.party_id == BOOK).values(head_hash=prev))
        conn.execute(t.merkle_nodes.delete().where(t.merkle_nodes.c.party_id == BOOK))
        merkle_store.backfill(conn, BOOK)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_consistent_rewrite_fails_against_an_earlier_checkpoint(
    book: list[bytes], channel: grpc.Channel, ledger: Ledger, tmp_path: pathlib.Path, fmt: str
) -> None:
    audit = audit_stub(channel)
    earlier = audit.GetCheckpoint(apb.GetCheckpointRequest())
    note_file = tmp_path / "earlier.txt"
    note_file.write_text(earlier.signed_note)
    vkey = earlier.keys[0].vkey
    heads_file = tmp_path / "heads.json"
    heads = audit.GetChainHead(apb.GetChainHeadRequest())
    heads_file.write_text(
        json.dumps({"heads": [{"party": h.party, "sequence": h.sequence, "hash": h.hash} for h in heads.heads]})
    )
    # before: a fresh export extends the earlier checkpoint, and carries its own signed checkpoint
    before = tmp_path / f"before.{fmt}"
    manifest = export(channel, before, fmt)
    assert manifest["signed_checkpoint"].startswith(cp.DEFAULT_ORIGIN + "\n")
    trusted = [cp.parse_vkey(vkey)]
    earlier_cp = cp.verify_note(earlier.signed_note, trusted)
    assert cp.check_export(before, manifest, earlier_cp, [], trusted).ok
    argv = ["audit", "verify", str(before), "--checkpoint", str(note_file), "--key", vkey, "--heads", str(heads_file)]
    assert cli_main(argv) == 0
    # a consistent rewrite of leg 9: every hash recomputed, the tree rebuilt, a new export and manifest
    plain = tmp_path / "plain.jsonl"
    export(channel, plain, "jsonl")
    _rewrite(ledger, plain, 9)
    after = tmp_path / f"after.{fmt}"
    manifest = export(channel, after, fmt)
    result = cp.check_export(after, manifest, earlier_cp, [], trusted)
    assert not result.ok
    first_book, _, message = result.faults[0]
    assert first_book == BOOK and f"leg {len(book)}" in message
    argv = ["audit", "verify", str(after), "--checkpoint", str(note_file), "--key", vkey]
    assert cli_main(argv) == 1
    assert cli_main(["audit", "verify", str(after), "--heads", str(heads_file)]) == 1
    # and the server's proofs no longer lead to the earlier roots
    r = audit.GetConsistencyProof(apb.GetConsistencyProofRequest(book=BOOK, first_size=len(book)))
    old_root = earlier_cp.books[BOOK].root
    assert not proofs.verify_consistency(len(book), r.second_size, old_root, r.second_root, list(r.path))
    p = audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BOOK, sequence=9, checkpoint=earlier.signed_note))
    assert not proofs.verify_inclusion(p.leaf_hash, 8, len(book), list(p.path), old_root)


def test_proof_refusals(book: list[bytes], channel: grpc.Channel) -> None:
    audit = audit_stub(channel)
    with pytest.raises(grpc.RpcError) as raised:
        audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BOOK, sequence=len(book) + 1))
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as raised:
        audit.GetInclusionProof(apb.GetInclusionProofRequest(book=BOOK, sequence=5, tree_size=3))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raised:
        audit.GetConsistencyProof(apb.GetConsistencyProofRequest(book=BOOK, first_size=1, second_size=len(book) + 1))
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as raised:
        audit.GetConsistencyProof(apb.GetConsistencyProofRequest(book="nobody", first_size=1))
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


def test_migration_0012_backfills_books_that_have_legs(book: list[bytes], ledger: Ledger) -> None:
    from alembic import command

    from server import database

    def nodes() -> list[tuple[str, int, int, str]]:
        with ledger.engines.writer.connect() as conn:
            rows = conn.execute(sa.select(t.merkle_nodes)).all()
        return sorted((r.party_id, r.level, r.idx, r.hash) for r in rows)

    posted = nodes()
    assert posted, "bank-hz has more than 64 legs"
    with ledger.engines.writer.begin() as conn:
        command.downgrade(database.alembic_config(conn), "0011")
    with ledger.engines.writer.begin() as conn:
        command.upgrade(database.alembic_config(conn), "0012")
    assert nodes() == posted
    database.upgrade(ledger.engines.writer)
