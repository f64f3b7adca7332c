"""The export's hand-written encodings against the reference ones, for arbitrary values.

audit.leg_text writes the canonical leg document without json.dumps, the CSV encoder writes rows
without csv.writer, and ledger.journal_export turns PostgreSQL's timestamp text into `recorded_at`
without datetime: each must give exactly the reference bytes, or hashes and files would change.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.encode import CSV_COLUMNS, CsvEncoder, JsonLinesEncoder, csv_field
from audit.leg_text import document_text, metadata_of
from audit.model import AccountInfo, LegRow, PostingRow
from ledger.canonical import canonical_json, format_instant, metadata_text, postings_text
from ledger.journal_export import ExportLeg, _instant

text = st.text(st.characters(codec="utf-8"), max_size=20)  # any Unicode scalar: quotes, controls, CJK, U+2028
metadata = st.dictionaries(text, text, max_size=4)
amount = st.integers(min_value=-(2**63), max_value=2**63 - 1)
postings = st.lists(st.tuples(text, text, amount), max_size=4)


def _leg_row(fields: dict[str, Any]) -> LegRow:
    return LegRow(
        book=fields["book"],
        seq=fields["seq"],
        prev=fields["prev"],
        hash=fields["hash"],
        tx=fields["tx"],
        request_id=fields["request_id"],
        value_date=fields["value_date"],
        recorded_at=fields["recorded_at"],
        description=fields["description"],
        metadata=fields["metadata"],
        reverses=fields["reverses"],
        postings=tuple(PostingRow(a, c, m) for a, c, m in fields["postings"]),
    )


legs = st.fixed_dictionaries(
    {
        "book": text,
        "seq": st.integers(min_value=1, max_value=2**62),
        "prev": text,
        "hash": text,
        "tx": text,
        "request_id": text,
        "value_date": text,
        "recorded_at": text,
        "description": text,
        "metadata": metadata,
        "reverses": st.none() | text,
        "postings": postings,
    }
)


@given(legs)
def test_document_text_is_canonical_json(fields: dict[str, Any]) -> None:
    row = _leg_row(fields)
    args = (
        row.book,
        row.seq,
        row.prev,
        row.tx,
        row.request_id,
        row.value_date,
        row.recorded_at,
        row.description,
        metadata_of(row.metadata),
        row.reverses,
        postings_text(fields["postings"]),
    )
    assert document_text(*args).encode("utf-8") == canonical_json(row.document())
    assert document_text(*args, stored_hash=row.hash).encode("utf-8") == canonical_json(row.row())


@given(metadata)
def test_metadata_text_canonicalises_what_the_ledger_stores(value: dict[str, str]) -> None:
    stored = json.dumps(value, sort_keys=True, ensure_ascii=False)  # how ledger/store.py writes metadata_json
    assert metadata_text(stored) == canonical_json(value).decode("utf-8") == metadata_of(value)


@given(st.lists(legs, min_size=1, max_size=3), st.sampled_from(["csv", "jsonl"]))
@settings(max_examples=200)
def test_encoders_match_the_reference_encodings(batch: list[dict[str, Any]], fmt: str) -> None:
    """JSON Lines rows are canonical_json(LegRow.row()); CSV rows are csv.writer's, one per posting."""
    accounts: list[tuple[str, AccountInfo]] = []
    export_legs: list[ExportLeg] = []
    book = batch[0]["book"]
    for fields in batch:
        keys = []
        for code, commodity, _ in fields["postings"]:
            key = str(uuid.uuid4())
            accounts.append((key, AccountInfo(book, code, "asset", commodity, dt.date(2026, 1, 1))))
            keys.append(key)
        export_legs.append(
            ExportLeg(
                fields["seq"],
                fields["prev"],
                fields["hash"],
                fields["tx"],
                fields["request_id"],
                fields["value_date"],
                fields["recorded_at"],
                fields["description"],
                metadata_of(fields["metadata"]),
                fields["reverses"],
                [(k, m) for k, (_, _, m) in zip(keys, fields["postings"], strict=True)],
            )
        )
    rows = [_leg_row({**fields, "book": book}) for fields in batch]
    if fmt == "jsonl":
        expected = b"".join(canonical_json(row.row()) + b"\n" for row in rows)
        assert JsonLinesEncoder(accounts).legs(book, export_legs) == expected
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        common = [
            row.v,
            row.book,
            row.seq,
            row.prev,
            row.hash,
            row.tx,
            row.request_id,
            row.value_date,
            row.recorded_at,
            row.description,
            canonical_json(dict(row.metadata)).decode("utf-8"),
            row.reverses or "",
        ]
        for index, p in enumerate(row.postings):
            writer.writerow([*common, index, len(row.postings), p.account, p.commodity, p.amount])
    encoder = CsvEncoder(accounts)
    assert encoder.header() + encoder.legs(book, export_legs) == buffer.getvalue().encode("utf-8")


@given(text)
def test_csv_field_quotes_as_csv_writer_does(value: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(["x", value])
    assert buffer.getvalue() == f"x,{csv_field(value)}\r\n"


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_postgres_instant_text_becomes_recorded_at(instant: dt.datetime) -> None:
    """PostgreSQL writes a timestamptz in UTC as `YYYY-MM-DD HH:MM:SS[.f…]+00`, trailing zeros dropped."""
    fraction = f".{instant.microsecond:06d}".rstrip("0").rstrip(".")
    postgres = instant.strftime("%Y-%m-%d %H:%M:%S") + fraction + "+00"
    assert _instant(postgres) == format_instant(instant.replace(tzinfo=dt.UTC))
