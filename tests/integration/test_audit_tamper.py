"""Tamper evidence: rows edited, deleted, inserted and reordered in the database and in an export.

Each tampering is done behind the ledger's back (straight SQL on SQLite and PostgreSQL, or editing the
exported file) and must be caught, with the right first bad sequence number, by VerifyChain on the
server and by the offline verifier (audit.verify) respectively.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable

import grpc
import pytest
import sqlalchemy as sa

from audit.model import LegRow, PostingRow
from audit.verify import verify_export
from ledger import schema as t
from ledger.store import Ledger
from tests.integration.test_audit_export import export
from tests.integration.test_audit_seed import audit_stub, seed
from toudai.v1 import audit_pb2 as apb
from toudai.v1 import ledger_pb2_grpc

BOOK = "bank-hz"
TARGET = 7
EXTRA = 10  # bank-hz then has 5 + 10 = 15 legs


def _move(conn: sa.Connection, old: int, new: int) -> None:
    for table in (t.legs, t.postings):
        conn.execute(table.update().where(table.c.party_id == BOOK, table.c.seq == old).values(seq=new))


def edit_amount(conn: sa.Connection) -> None:
    p = t.postings
    conn.execute(
        p.update().where(p.c.party_id == BOOK, p.c.seq == TARGET, p.c.idx == 0).values(amount=p.c.amount + 100)
    )


def edit_description(conn: sa.Connection) -> None:
    tx = conn.execute(sa.select(t.legs.c.transaction_id).where(t.legs.c.party_id == BOOK, t.legs.c.seq == TARGET))
    conn.execute(t.transactions.update().where(t.transactions.c.id == tx.scalar_one()).values(description="edited"))


def delete_leg(conn: sa.Connection) -> None:
    for table in (t.postings, t.legs):
        conn.execute(table.delete().where(table.c.party_id == BOOK, table.c.seq == TARGET))


def _forge(conn: sa.Connection, seq: int) -> None:
    """Store at `seq` a copy of leg 3's postings, under another transaction (bank-nb's first)."""
    other = conn.execute(sa.select(t.legs.c.transaction_id).where(t.legs.c.party_id == "bank-nb", t.legs.c.seq == 1))
    leg = conn.execute(sa.select(t.legs).where(t.legs.c.party_id == BOOK, t.legs.c.seq == 3)).one()
    postings = conn.execute(sa.select(t.postings).where(t.postings.c.party_id == BOOK, t.postings.c.seq == 3)).all()
    conn.execute(t.legs.insert(), {**leg._asdict(), "seq": seq, "transaction_id": other.scalar_one()})
    conn.execute(t.postings.insert(), [{**p._asdict(), "seq": seq} for p in postings])


def insert_leg(conn: sa.Connection) -> None:
    """Shift legs TARGET.. up by one and slip a forged leg in at TARGET."""
    head = conn.execute(sa.select(sa.func.max(t.legs.c.seq)).where(t.legs.c.party_id == BOOK)).scalar_one()
    for seq in range(head, TARGET - 1, -1):
        _move(conn, seq, seq + 1)
    _forge(conn, TARGET)


def append_leg(conn: sa.Connection) -> None:
    """A leg stored past the book's head."""
    _forge(conn, 16)


def reorder_legs(conn: sa.Connection) -> None:
    _move(conn, TARGET, -1)
    _move(conn, TARGET + 1, TARGET)
    _move(conn, -1, TARGET + 1)


DATABASE_TAMPERS: dict[str, tuple[Callable[[sa.Connection], None], int, str]] = {
    "edit-amount": (edit_amount, TARGET, "EDITED"),
    "edit-description": (edit_description, TARGET, "EDITED"),
    "delete": (delete_leg, TARGET, "MISSING"),
    "insert": (insert_leg, TARGET, "EDITED"),
    "append": (append_leg, 16, "EXTRA"),
    "reorder": (reorder_legs, TARGET, "EDITED"),
}


@pytest.mark.parametrize("tamper", sorted(DATABASE_TAMPERS))
def test_verify_chain_catches_database_tampering(
    tamper: str, ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel
) -> None:
    seed(stub, extra_transfers=EXTRA)
    audit = audit_stub(channel)
    clean = audit.VerifyChain(apb.VerifyChainRequest(party=f"parties/{BOOK}"))
    assert clean.ok and clean.legs_checked == 15 and clean.computed_hash == clean.head_hash
    action, first_bad, kind = DATABASE_TAMPERS[tamper]
    with ledger.engines.writer.begin() as conn:
        action(conn)
    result = audit.VerifyChain(apb.VerifyChainRequest(party=BOOK))
    assert not result.ok
    assert result.first_bad_sequence == first_bad, [(f.sequence, f.kind) for f in result.faults]
    assert (first_bad, kind) in [(f.sequence, f.kind) for f in result.faults]
    # A range that ends before the tampering still verifies; one that covers it does not.
    assert audit.VerifyChain(apb.VerifyChainRequest(party=BOOK, from_sequence=2, to_sequence=TARGET - 1)).ok
    covering = audit.VerifyChain(apb.VerifyChainRequest(party=BOOK, from_sequence=TARGET - 1, to_sequence=15))
    if tamper != "append":
        assert covering.first_bad_sequence == first_bad
    # The other books are untouched.
    assert audit.VerifyChain(apb.VerifyChainRequest(party="pool")).ok


# ---------------------------------------------------------------------- tampering with an exported file


def _lines(path: pathlib.Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _edit_amount(lines: list[str]) -> list[str]:
    row = json.loads(lines[TARGET - 1])
    row["postings"][0]["amount"] += 1
    lines[TARGET - 1] = json.dumps(row, ensure_ascii=False) + "\n"
    return lines


def _edit_and_rehash(lines: list[str]) -> list[str]:
    """A cleverer forger: edit and recompute the leg's own hash; the next leg's prev still gives it away."""
    row = json.loads(lines[TARGET - 1])
    row["description"] = "nothing to see"
    leg = LegRow(
        **{k: v for k, v in row.items() if k not in ("postings", "hash")},
        hash="",
        postings=tuple(PostingRow(**p) for p in row["postings"]),
    )
    row["hash"] = leg.computed_hash()
    lines[TARGET - 1] = json.dumps(row, ensure_ascii=False) + "\n"
    return lines


def _delete(lines: list[str]) -> list[str]:
    del lines[TARGET - 1]
    return lines


def _insert(lines: list[str]) -> list[str]:
    row = json.loads(lines[2])
    row["seq"] = TARGET
    lines.insert(TARGET, json.dumps(row, ensure_ascii=False) + "\n")
    return lines


def _reorder(lines: list[str]) -> list[str]:
    lines[TARGET - 1], lines[TARGET] = lines[TARGET], lines[TARGET - 1]
    return lines


FILE_TAMPERS = {
    "edit": (_edit_amount, "EDITED"),
    "edit-rehash": (_edit_and_rehash, "BROKEN_LINK"),
    "delete": (_delete, "MISSING"),
    "insert": (_insert, "EXTRA"),
    "reorder": (_reorder, "REORDERED"),
}


@pytest.mark.parametrize("tamper", sorted(FILE_TAMPERS))
def test_offline_verify_catches_file_tampering(
    tamper: str, stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub, extra_transfers=EXTRA)
    path = tmp_path / "hz.jsonl"
    manifest = export(channel, path, "jsonl", parties=[BOOK])
    assert verify_export(path, manifest).ok
    action, kind = FILE_TAMPERS[tamper]
    path.write_text("".join(action(_lines(path))), encoding="utf-8")
    report = verify_export(path, manifest)
    assert not report.ok
    assert report.first_bad == TARGET, [f.text() for f in report.faults]
    assert (TARGET, kind) in [(f.seq, f.kind) for f in report.faults], [f.text() for f in report.faults]
    assert any(f.kind == "MANIFEST" and "SHA-256" in f.message for f in report.faults)


def test_offline_verify_catches_csv_tampering(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    seed(stub, extra_transfers=EXTRA)
    path = tmp_path / "hz.csv"
    manifest = export(channel, path, "csv", parties=[BOOK])
    original = path.read_bytes()
    rows = original.decode().split("\r\n")  # header, then two rows per leg
    edited = [*rows]
    head, amount = edited[2 * TARGET - 1].rsplit(",", 1)  # the first posting row of leg TARGET
    edited[2 * TARGET - 1] = f"{head},{int(amount) + 1}"
    path.write_bytes("\r\n".join(edited).encode())
    report = verify_export(path, manifest)
    assert report.first_bad == TARGET and "EDITED" in {f.kind for f in report.faults}
    deleted = [*rows]
    del deleted[2 * TARGET]
    path.write_bytes("\r\n".join(deleted).encode())
    report = verify_export(path, manifest)
    assert report.first_bad == TARGET and {"EDITED", "FORMAT"} <= {f.kind for f in report.faults}
    # And tampering with the manifest instead: counts no longer add up.
    path.write_bytes(original)
    manifest["counts"]["legs"] += 1
    report = verify_export(path, manifest)
    assert not report.ok and report.first_bad == 0
