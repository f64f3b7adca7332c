"""Strict, complete verification of exports (issue 19): every tampering an auditor showed, on SQLite and PostgreSQL.

Each case tampers with a real export and then *reseals* it as a careful forger would: the manifest's
SHA-256 and size, its counts, per-book legs, postings and first/last sequence numbers, totals and
balances are recomputed from the tampered file, so that only the completeness rules (derived from the
filters and the checkpoint) or the strict grammar can catch it, with the fault kind docs/audit.md names.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import re
from collections import defaultdict
from typing import Any

import grpc
import pytest

from audit.verify import VerifyReport, verify_export
from ledger.canonical import GENESIS_HASH
from tests.integration.test_audit_export import export
from tests.integration.test_audit_seed import seed
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

BOOK = "bank-hz"
TARGET = 7
EXTRA_TRANSFERS = 10  # bank-hz then has 15 legs


def _seed(stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    seed(stub, extra_transfers=EXTRA_TRANSFERS)
    # A party with an empty book: an unfiltered export must list it too.
    stub.CreateParty(
        pb.CreatePartyRequest(
            request_id="p-idle", party_id="idle", display_name="idle branch", kind=pb.PARTY_KIND_BANK_BRANCH
        )
    )


def _rows(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _reseal(path: pathlib.Path, manifest: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The manifest a forger would write for the tampered file: digest and size, and (given the file's
    legs) every count, total and balance re-derived from them."""
    data = path.read_bytes()
    manifest = json.loads(json.dumps(manifest))
    manifest["sha256"], manifest["size_bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    if rows is None:
        return manifest
    manifest["counts"] = {
        "transactions": len({r["tx"] for r in rows}),
        "legs": len(rows),
        "postings": sum(len(r["postings"]) for r in rows),
    }
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    balances: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        for p in row["postings"]:
            pair = totals[(row["book"], p["commodity"])]
            pair[0 if p["amount"] >= 0 else 1] += abs(p["amount"])
            balances[(row["book"], p["account"], p["commodity"])] += p["amount"]
    manifest["totals"] = [
        {"book": b, "commodity": c, "debits": d, "credits": k} for (b, c), (d, k) in sorted(totals.items())
    ]
    manifest["balances"] = [
        {"book": b, "account": a, "commodity": c, "balance": v} for (b, a, c), v in sorted(balances.items())
    ]
    for entry in manifest["books"]:
        mine = [r for r in rows if r["book"] == entry["book"]]
        entry["legs"], entry["postings"] = len(mine), sum(len(r["postings"]) for r in mine)
        entry["first_seq"] = min((r["seq"] for r in mine), default=None)
        entry["last_seq"] = max((r["seq"] for r in mine), default=None)
    return manifest


def _write(path: pathlib.Path, rows: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )


def _faults(report: VerifyReport) -> list[tuple[str, int, str]]:
    return [(f.book, f.seq, f.kind) for f in report.faults]


def _texts(report: VerifyReport) -> list[str]:
    return [f.text() for f in report.faults]


@pytest.fixture
def full(stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path) -> Any:
    """An unfiltered JSON Lines export of the seeded ledger, verified clean."""
    _seed(stub)
    path = tmp_path / "journal.jsonl"
    manifest = export(channel, path, "jsonl")
    report = verify_export(path, manifest)
    assert report.ok and report.complete, _texts(report)
    assert "idle" in {b["book"] for b in manifest["books"]}
    return path, manifest


# ---------------------------------------------------------------------- completeness


def test_a_whole_book_removed_is_missing(full: Any) -> None:
    path, manifest = full
    rows = [r for r in _rows(path) if r["book"] != "invest"]
    _write(path, rows)
    forged = _reseal(path, manifest, rows)
    forged["books"] = [b for b in forged["books"] if b["book"] != "invest"]
    report = verify_export(path, forged)
    assert _faults(report) == [("invest", 0, "MANIFEST"), ("invest", 1, "MISSING")], _texts(report)
    assert report.first_bad == 1


def test_an_empty_book_left_out_of_the_manifest_is_a_fault(full: Any) -> None:
    path, manifest = full
    forged = _reseal(path, manifest)
    forged["books"] = [b for b in forged["books"] if b["book"] != "idle"]
    report = verify_export(path, forged)
    assert _faults(report) == [("idle", 0, "MANIFEST")], _texts(report)


def test_the_head_leg_dropped_and_to_seq_lowered_is_missing(full: Any) -> None:
    path, manifest = full
    rows = _rows(path)
    head = max(r["seq"] for r in rows if r["book"] == BOOK)
    before = next(r for r in rows if r["book"] == BOOK and r["seq"] == head - 1)
    rows = [r for r in rows if not (r["book"] == BOOK and r["seq"] == head)]
    _write(path, rows)
    forged = _reseal(path, manifest, rows)
    entry = next(b for b in forged["books"] if b["book"] == BOOK)
    entry["to_seq"], entry["head_hash"] = head - 1, before["hash"]
    report = verify_export(path, forged)
    assert (BOOK, head, "MISSING") in _faults(report), _texts(report)
    assert report.first_bad == head
    assert {k for _, _, k in _faults(report)} == {"MISSING", "MANIFEST"}


def test_leg_one_dropped_and_from_seq_raised_is_missing(full: Any) -> None:
    path, manifest = full
    rows = _rows(path)
    first = next(r for r in rows if r["book"] == BOOK and r["seq"] == 1)
    rows = [r for r in rows if r is not first]
    _write(path, rows)
    forged = _reseal(path, manifest, rows)
    entry = next(b for b in forged["books"] if b["book"] == BOOK)
    entry["from_seq"], entry["prev_hash"] = 2, first["hash"]
    report = verify_export(path, forged)
    assert (BOOK, 1, "MISSING") in _faults(report), _texts(report)
    assert report.first_bad == 1


def test_a_deleted_leg_with_complete_false_is_missing(full: Any) -> None:
    path, manifest = full
    rows = [r for r in _rows(path) if not (r["book"] == BOOK and r["seq"] == TARGET)]
    _write(path, rows)
    forged = _reseal(path, manifest, rows)
    forged["complete"] = False
    report = verify_export(path, forged)
    assert (BOOK, TARGET, "MISSING") in _faults(report), _texts(report)
    assert any(f.kind == "MANIFEST" and "derived" in f.message for f in report.faults)


def test_complete_is_derived_not_trusted(full: Any) -> None:
    path, manifest = full
    forged = _reseal(path, manifest)
    forged["complete"] = False
    report = verify_export(path, forged)
    assert _faults(report) == [("", 0, "MANIFEST")], _texts(report)


def test_ranged_export_verifies_and_must_cover_its_range(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    _seed(stub)
    path = tmp_path / "ranged.csv"
    manifest = export(channel, path, "csv", parties=[BOOK], from_sequence=3, to_sequence=9)
    report = verify_export(path, manifest)
    assert report.ok and report.complete and report.legs == 7, _texts(report)
    assert any("bank-hz 3..9" in line for line in report.proven)
    # Narrowing the range to hide the last leg of it: the filters still say 3..9.
    forged = json.loads(json.dumps(manifest))
    forged["books"][0]["to_seq"] = 8
    report = verify_export(path, forged)
    assert ("bank-hz", 0, "MANIFEST") in _faults(report), _texts(report)
    # A ranged export past the head ends at the head, and leg 16 would be EXTRA.
    to_head = export(channel, tmp_path / "head.jsonl", "jsonl", parties=[BOOK], from_sequence=12)
    assert verify_export(tmp_path / "head.jsonl", to_head).ok
    assert to_head["books"][0]["to_seq"] == 15


def test_date_filtered_export_says_what_is_not_proven(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    _seed(stub)
    path = tmp_path / "dated.jsonl"
    dates = {
        "value_date_from": {"year": 2026, "month": 1, "day": 10},
        "value_date_to": {"year": 2026, "month": 3, "day": 1},
    }
    manifest = export(channel, path, "jsonl", **dates)
    report = verify_export(path, manifest)
    assert report.ok and not report.complete, _texts(report)
    assert any("every leg matching an account or date filter" in line for line in report.not_proven)
    # A leg from outside the dates slipped in (with its genuine hash) is EXTRA.
    full_path = tmp_path / "all.jsonl"
    export(channel, full_path, "jsonl")
    outside = next(r for r in _rows(full_path) if r["value_date"] < "2026-01-10" and r["book"] == "pool")
    rows = sorted([*_rows(path), outside], key=lambda r: (r["book"], r["seq"]))
    _write(path, rows)
    report = verify_export(path, _reseal(path, manifest, rows))
    assert ("pool", outside["seq"], "EXTRA") in _faults(report), _texts(report)


# ---------------------------------------------------------------------- the JSON Lines grammar


def _retext(path: pathlib.Path, seq: int, old: str, new: str) -> None:
    """Replace `old` by `new` once in the JSON Lines row of bank-hz `seq` (text level, as a forger would)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row["book"] == BOOK and row["seq"] == seq:
            assert old in line, line
            lines[i] = line.replace(old, new, 1)
            break
    path.write_text("".join(lines), encoding="utf-8")


def _amount_of(path: pathlib.Path, seq: int) -> int:
    row = next(r for r in _rows(path) if r["book"] == BOOK and r["seq"] == seq)
    return int(row["postings"][0]["amount"])


@pytest.mark.parametrize(
    ("case", "found"),
    [
        ("float", "a number with a fraction or exponent"),
        ("true", "a boolean"),
        ("seq-string", "a string"),
        ("duplicate", "more than once"),
        ("spacing", "canonical form"),
    ],
)
def test_jsonl_grammar_faults(full: Any, case: str, found: str) -> None:
    path, manifest = full
    amount = _amount_of(path, TARGET)
    if case == "float":
        _retext(path, TARGET, f'"amount":{amount},', f'"amount":{amount}.9,')
    elif case == "true":
        _retext(path, TARGET, f'"amount":{amount},', '"amount":true,')
    elif case == "seq-string":
        _retext(path, TARGET, f'"seq":{TARGET},', f'"seq":"{TARGET}",')
    elif case == "duplicate":
        row = next(r for r in _rows(path) if r["book"] == BOOK and r["seq"] == TARGET)
        real = json.dumps(row["description"], ensure_ascii=False)
        _retext(path, TARGET, f'"description":{real}', f'"description":"FAKE","description":{real}')
    else:
        _retext(path, TARGET, '"book":', '"book": ')
    report = verify_export(path, _reseal(path, manifest))
    formats = [f for f in report.faults if f.kind == "FORMAT"]
    assert len(formats) == 1 and found in formats[0].message, _texts(report)
    assert "line" in formats[0].message
    # A FORMAT fault names the leg when its book is readable; the seq when it is an integer.
    assert formats[0].book == BOOK and formats[0].seq == (0 if case == "seq-string" else TARGET)
    if case == "spacing":  # the content is unambiguous: the leg is still checked, and it is intact
        assert _faults(report) == [(BOOK, TARGET, "FORMAT")], _texts(report)
    elif case != "seq-string":  # a row that breaks the grammar is not read: its leg is then missing
        assert (BOOK, TARGET, "MISSING") in _faults(report), _texts(report)


# ---------------------------------------------------------------------- the CSV grammar


def _csv_edit(path: pathlib.Path, new_amount: str) -> None:
    rows = path.read_bytes().decode("utf-8").split("\r\n")
    head, _amount = rows[2 * TARGET - 1].rsplit(",", 1)  # the first posting row of leg TARGET of bank-hz
    rows[2 * TARGET - 1] = f"{head},{new_amount}"
    path.write_bytes("\r\n".join(rows).encode("utf-8"))


@pytest.mark.parametrize(
    "spelling",
    ["1_234_567", "١٢٣٤٥٦٧", " +1234567 ", "+1234567", "01234567", "1234567.0", "-0"],
)
def test_csv_amount_grammar(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path, spelling: str
) -> None:
    _seed(stub)
    path = tmp_path / "hz.csv"
    manifest = export(channel, path, "csv", parties=[BOOK])
    assert verify_export(path, manifest).ok
    _csv_edit(path, spelling)
    report = verify_export(path, _reseal(path, manifest))
    formats = [f for f in report.faults if f.kind == "FORMAT"]
    assert formats and formats[0].book == BOOK and formats[0].seq == TARGET, _texts(report)
    assert "amount" in formats[0].message and repr(spelling) in formats[0].message


def test_csv_duplicated_leg_is_extra(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    _seed(stub)
    path = tmp_path / "hz.csv"
    manifest = export(channel, path, "csv", parties=[BOOK])
    rows = path.read_bytes().decode("utf-8").split("\r\n")
    leg = rows[2 * TARGET - 1 : 2 * TARGET + 1]
    rows[2 * TARGET + 1 : 2 * TARGET + 1] = leg
    path.write_bytes("\r\n".join(rows).encode("utf-8"))
    report = verify_export(path, _reseal(path, manifest))
    assert (BOOK, TARGET, "EXTRA") in _faults(report), _texts(report)
    assert not {"FORMAT", "EDITED", "MALFORMED"} & {k for _, _, k in _faults(report)}, _texts(report)


# ---------------------------------------------------------------------- every format, and Beancount read back


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "beancount"])
def test_untampered_exports_verify_in_every_format(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path, fmt: str
) -> None:
    _seed(stub)
    path = tmp_path / f"journal.{fmt}"
    manifest = export(channel, path, fmt)
    report = verify_export(path, manifest)
    assert report.ok and report.complete and report.chain_checked, _texts(report)
    assert (report.legs, report.postings, report.transactions) == (
        manifest["counts"]["legs"],
        manifest["counts"]["postings"],
        manifest["counts"]["transactions"],
    )
    assert report.legs == 25


def test_beancount_export_is_read_back_and_checked(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    _seed(stub)
    path = tmp_path / "journal.beancount"
    manifest = export(channel, path, "beancount")
    text = path.read_text(encoding="utf-8")
    assert 'option "operating_currency" "CNY"' in text
    from beancount import loader

    entries, errors, options = loader.load_file(str(path))
    assert not errors and options["operating_currency"] == ["CNY"]
    transactions = [e for e in entries if type(e).__name__ == "Transaction"]
    # The legs the verifier rebuilds are the JSON Lines export's, hash for hash.
    jsonl = tmp_path / "journal.jsonl"
    export(channel, jsonl, "jsonl")
    hashes = {(r["book"], r["seq"]): r["hash"] for r in _rows(jsonl)}
    assert {(t.meta["toudai-book"], int(t.meta["toudai-seq"])): t.meta["toudai-hash"] for t in transactions} == hashes

    # An amount changed (and the digest resealed): EDITED at that leg.
    blocks = text.split("\n\n")
    index = next(i for i, b in enumerate(blocks) if f'toudai-book: "{BOOK}"\n  toudai-seq: {TARGET}\n' in b)
    edited = [*blocks]
    edited[index] = re.sub(
        r"  (-?\d+\.\d\d) CNY",
        lambda m: f"  {int(m.group(1).split('.')[0]) + 1}.{m.group(1).split('.')[1]} CNY",
        edited[index],
        count=1,
    )
    path.write_text("\n\n".join(edited), encoding="utf-8")
    report = verify_export(path, _reseal(path, manifest))
    assert (BOOK, TARGET, "EDITED") in _faults(report), _texts(report)
    # A transaction removed: MISSING.
    removed = [b for i, b in enumerate(blocks) if i != index]
    path.write_text("\n\n".join(removed), encoding="utf-8")
    report = verify_export(path, _reseal(path, manifest))
    assert (BOOK, TARGET, "MISSING") in _faults(report), _texts(report)
    # An amount spelled otherwise than with the commodity's scale: FORMAT.
    respelled = [*blocks]
    respelled[index] = re.sub(r"  (-?\d+)\.(\d\d) CNY", r"  \1.\g<2>0 CNY", respelled[index], count=1)
    path.write_text("\n\n".join(respelled), encoding="utf-8")
    report = verify_export(path, _reseal(path, manifest))
    assert (BOOK, TARGET, "FORMAT") in _faults(report), _texts(report)


def test_genesis_and_heads_come_from_the_checkpoint(full: Any) -> None:
    path, manifest = full
    forged = _reseal(path, manifest)
    entry = next(b for b in forged["books"] if b["book"] == BOOK)
    entry["prev_hash"] = "1" * 64
    report = verify_export(path, forged)
    assert (BOOK, 0, "MANIFEST") in _faults(report) and GENESIS_HASH not in _texts(report)[0], _texts(report)


def test_a_balance_fault_reads_as_money_not_minor_units(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    """Issue 21: `sums to 1000000001 CNY` was fen labelled CNY; a fault states money, as the books do."""
    _seed(stub)
    path = tmp_path / "all.jsonl"
    manifest = export(channel, path, "jsonl", parties=[BOOK])
    forged = json.loads(json.dumps(manifest))
    line = next(x for x in forged["balances"] if x["commodity"] == "CNY" and int(x["balance"]) != 0)
    derived = int(line["balance"])
    line["balance"] = str(derived + 1) if isinstance(line["balance"], str) else derived + 1  # one fen more
    texts = _texts(verify_export(path, forged))

    def money(fen: int) -> str:  # written out independently of ledger.amounts.format_minor
        return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"

    expected = f"account {line['account']} sums to {money(derived)} CNY, the manifest says {money(derived + 1)}"
    assert any(expected in text for text in texts), texts
