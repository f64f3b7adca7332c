"""The fast export path against the reference one, on SQLite and PostgreSQL.

ledger.journal_export reads legs as text (on PostgreSQL through the driver, in ranges, one range read
ahead) and the encoders write them without json.dumps or csv.writer. Here the exported bytes are
compared with what the ledger's own reader (`JournalReader.legs` → `LegRow`) and the reference
serialisations give, over descriptions and metadata with quotes, backslashes, tabs, line breaks,
control characters and CJK text, a reversal, and ranges smaller than a book.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib

import grpc

from audit.encode import CSV_COLUMNS
from audit.verify import verify_export
from ledger import schema as t
from ledger.canonical import canonical_json
from ledger.journal_export import export_legs
from ledger.journal_reader import JournalReader
from ledger.store import Ledger
from tests.integration.test_audit_export import export
from tests.integration.test_audit_seed import seed, transfer
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

ALLOWED = 'quote " and \\ backslash, comma, 风险池 "50%"'  # what the ledger accepts in a description
# What only a tampered database holds (the ledger refuses control characters): the export must still
# write it exactly as the reference serialisations do.
AWKWARD = 'tab\there, line\nbreak, CR\r, quote " and \\ backslash, bell \x07, 风险池 "50%", U+2028 \u2028 end'


def _seed_awkward(ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub) -> None:
    seed(stub, extra_transfers=12)
    tx = transfer("awkward-1", dt.date(2026, 3, 3), "bank-hz/loans.hz001", "bank-hz/cash", "12.34", ALLOWED)
    tx.metadata.update({"note": ALLOWED, "deal.id": "D-1", "z:last": "值"})
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=[tx]))


def _tamper_awkward(ledger: Ledger) -> None:
    meta = json.dumps({"note": AWKWARD, "a,b": 'x"y'}, sort_keys=True, ensure_ascii=False)
    with ledger.engines.writer.begin() as conn:
        conn.execute(
            t.transactions.update()
            .where(t.transactions.c.request_id == "awkward-1")
            .values(description=AWKWARD, metadata_json=meta)
        )


def _reference(reader: JournalReader, fmt: str) -> bytes:
    """The export file as the reference serialisations write it, from the ledger reader's LegRows."""
    rows = [row for book, _, _ in reader.heads() for row in reader.legs(book)]
    if fmt == "jsonl":
        return b"".join(canonical_json(row.row()) + b"\n" for row in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        common = [row.v, row.book, row.seq, row.prev, row.hash, row.tx, row.request_id, row.value_date]
        common += [row.recorded_at, row.description, canonical_json(dict(row.metadata)).decode(), row.reverses or ""]
        for index, p in enumerate(row.postings):
            writer.writerow([*common, index, len(row.postings), p.account, p.commodity, p.amount])
    return buffer.getvalue().encode("utf-8")


def test_export_bytes_equal_the_reference_serialisation(
    ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    _seed_awkward(ledger, stub)
    reader = JournalReader(ledger.engines)
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"journal.{fmt}"
        manifest = export(channel, path, fmt)
        assert path.read_bytes() == _reference(reader, fmt)
        assert verify_export(path, manifest).ok
    _tamper_awkward(ledger)
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"tampered.{fmt}"
        manifest = export(channel, path, fmt)
        assert path.read_bytes() == _reference(reader, fmt)
        report = verify_export(path, manifest)
        assert {(f.book, f.kind) for f in report.faults if f.seq} == {("bank-hz", "EDITED")}
    lines = (tmp_path / "tampered.jsonl").read_text(encoding="utf-8").split("\n")  # not splitlines: U+2028 stays raw
    awkward = [json.loads(line) for line in lines if line and "awkward-1" in line]
    assert [(r["description"], r["metadata"]["note"]) for r in awkward] == [(AWKWARD, AWKWARD)]


def test_fast_and_portable_reads_agree_in_any_range_size(
    ledger: Ledger, stub: ledger_pb2_grpc.LedgerServiceStub
) -> None:
    """On PostgreSQL the driver path and the SQLAlchemy path give the same legs; on SQLite both are the
    portable path. Ranges of 1, 3 and 1,000 legs, filters by date and account."""
    _seed_awkward(ledger, stub)
    _tamper_awkward(ledger)
    reader = JournalReader(ledger.engines)
    loans = [i for i, a in reader.accounts(["bank-hz"]).items() if a.code == "loans.hz001"]
    for book, head, _ in reader.heads():
        for options in (
            {},
            {"date_from": dt.date(2026, 2, 1), "date_to": dt.date(2026, 3, 31)},
            {"account_ids": loans},
        ):
            reference = [
                leg for batch in export_legs(ledger.engines, book, 1, head, portable=True, **options) for leg in batch
            ]  # type: ignore[arg-type]
            for size in (1, 3, 1_000):
                fast = [
                    leg
                    for batch in export_legs(ledger.engines, book, 1, head, range_legs=size, **options)
                    for leg in batch
                ]  # type: ignore[arg-type]
                assert fast == reference, (book, options, size)
        every = [leg for batch in export_legs(ledger.engines, book, 1, head) for leg in batch]
        assert [leg.seq for leg in every] == list(range(1, head + 1))
        rows = list(reader.legs(book))
        assert [(leg.tx, leg.description, leg.recorded_at, leg.value_date) for leg in every] == [
            (r.tx, r.description, r.recorded_at, r.value_date) for r in rows
        ]


def test_an_unreadable_csv_leg_is_reported_and_the_rest_still_verified(
    stub: ledger_pb2_grpc.LedgerServiceStub, channel: grpc.Channel, tmp_path: pathlib.Path
) -> None:
    """A leg whose fields cannot be read (metadata that is not JSON) is FORMAT and missing; the legs
    after it are still checked one by one (they do not all become faults)."""
    seed(stub, extra_transfers=12)
    path = tmp_path / "hz.csv"
    manifest = export(channel, path, "csv", parties=["bank-hz"])
    rows = path.read_bytes().decode().split("\r\n")  # header, then two rows per leg (no quoted breaks here)
    for line in (5, 6):  # both posting rows of leg 3
        fields = rows[line].split(",")
        assert fields[2] == "3" and fields[10].startswith('"{')  # the actor, in canonical JSON, quoted
        fields[10] = "{not json"
        rows[line] = ",".join(fields)
    path.write_bytes("\r\n".join(rows).encode())
    report = verify_export(path, manifest)
    by_seq = {(f.seq, f.kind) for f in report.faults if f.seq}
    assert (3, "MISSING") in by_seq and report.first_bad == 3
    assert all(seq in (3, 4) for seq, _ in by_seq), sorted(by_seq)
    assert any(f.kind == "FORMAT" and "RFC 4180" in f.message for f in report.faults), report.faults
    assert report.legs == manifest["counts"]["legs"] - 1
