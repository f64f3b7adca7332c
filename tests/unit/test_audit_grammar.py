"""The strict grammar of exports (audit.grammar) and reading a Beancount export back (audit.beancount_read).

No server, no database: legs are encoded by the exporter's own encoders (audit.encode), with their real
hashes, and the manifest by its builder; then read back and verified offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import pathlib
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.beancount_read import BeancountLeg, read_beancount
from audit.encode import BeancountEncoder, CsvEncoder, JsonLinesEncoder
from audit.grammar import GrammarError, decimal_minor, json_int, text_int, unique_keys
from audit.manifest import BookRange, Filters, ManifestBuilder
from audit.model import AccountInfo
from audit.verify import verify_export
from ledger.canonical import GENESIS_HASH, leg_hash_of
from ledger.journal_export import ExportLeg

# ---------------------------------------------------------------------- the grammar


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("7", 7), ("1234567", 1234567), ("-5", -5)])
def test_integers_in_their_one_spelling(text: str, value: int) -> None:
    assert text_int(text, "amount", signed=True) == value


@pytest.mark.parametrize(
    "text",
    ["", "-0", "01", "+1", " 1", "1 ", "1_234_567", "١٢٣", "１２", "1.0", "1e3", "0x1", "--1", "1\n", "²"],
)
def test_other_integer_spellings_are_refused(text: str) -> None:
    with pytest.raises(GrammarError) as caught:
        text_int(text, "amount", signed=True)
    assert "amount" in str(caught.value) and repr(text) in str(caught.value)


def test_sequence_numbers_are_not_signed() -> None:
    assert text_int("12", "seq") == 12
    with pytest.raises(GrammarError):
        text_int("-1", "seq")


@pytest.mark.parametrize(
    ("text", "scale", "minor"),
    [("200000.00", 2, 20000000), ("-0.05", 2, -5), ("0.00", 2, 0), ("100000", 0, 100000), ("-1.234", 3, -1234)],
)
def test_amounts_with_exactly_the_scale(text: str, scale: int, minor: int) -> None:
    assert decimal_minor(text, scale, "amount") == minor


@pytest.mark.parametrize(
    ("text", "scale"),
    [
        ("-0.00", 2),
        ("1.5", 2),
        ("1.500", 2),
        ("1,000.00", 2),
        ("1e3", 2),
        ("+1.00", 2),
        (" 1.00", 2),
        ("01.00", 2),
        ("1.0", 0),
        ("١.٠٠", 2),
        ("1_000.00", 2),
        (".50", 2),
        ("1.", 2),
    ],
)
def test_other_amount_spellings_are_refused(text: str, scale: int) -> None:
    with pytest.raises(GrammarError):
        decimal_minor(text, scale, "amount")


@pytest.mark.parametrize("value", [True, False, 1.0, 1234567.9, "2", None, [1]])
def test_json_integers_are_json_integers(value: Any) -> None:
    with pytest.raises(GrammarError):
        json_int(value, "seq")
    assert json_int(2**70, "amount") == 2**70


def test_duplicate_keys_are_refused_at_every_level() -> None:
    assert json.loads('{"a":1,"b":{"c":2}}', object_pairs_hook=unique_keys) == {"a": 1, "b": {"c": 2}}
    for text in ('{"a":1,"a":1}', '{"a":{"c":1,"c":2}}', '{"description":"FAKE","description":"real"}'):
        with pytest.raises(GrammarError, match="more than once"):
            json.loads(text, object_pairs_hook=unique_keys)


# ---------------------------------------------------------------------- exports built offline

BOOKS = ("bank-hz", "pool")
TRICKY = ["plain", '风险池补偿 "50%"', "two\nlines", 'back\\slash \\" quote', "tab\tand \\n", "", " ;not a comment"]


def _accounts() -> dict[str, AccountInfo]:
    accounts = {}
    for book in BOOKS:
        for code, kind, commodity in (
            ("cash", "asset", "CNY"),
            ("equity", "equity", "CNY"),
            ("options.acme", "asset", "OPT-ACME"),
        ):
            accounts[str(uuid.uuid5(uuid.NAMESPACE_URL, f"{book}/{code}"))] = AccountInfo(
                book, code, kind, commodity, dt.date(2026, 1, 1)
            )
    return accounts


def _legs(
    descriptions: list[str],
) -> tuple[dict[str, AccountInfo], dict[str, list[ExportLeg]], list[tuple[str, int, str]]]:
    accounts = _accounts()
    ids = {(a.book, a.code): k for k, a in accounts.items()}
    legs: dict[str, list[ExportLeg]] = {b: [] for b in BOOKS}
    for i, description in enumerate(descriptions):
        book = BOOKS[i % 2]
        seq = len(legs[book]) + 1
        prev = legs[book][-1].hash if legs[book] else GENESIS_HASH
        tx = str(uuid.UUID(int=i + 1))
        reverses = str(uuid.UUID(int=i)) if i % 3 == 2 else None
        metadata = json.dumps(
            {"deal": f"D-{i}", "注": 'x"y'}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        metadata = metadata if i % 2 else "{}"
        amount = -5 if i % 4 == 1 else 1000 * i + 7
        code, commodity = ("options.acme", "OPT-ACME") if i % 5 == 4 else ("cash", "CNY")
        postings = [(code, commodity, amount), ("equity" if commodity == "CNY" else code, commodity, -amount)]
        if commodity != "CNY":
            postings = [(code, commodity, amount), (code, commodity, -amount)]
        value_date, recorded_at = f"2026-02-{1 + i % 28:02d}", f"2026-11-26T02:35:06.{i:06d}Z"
        hashed = leg_hash_of(
            book=book,
            sequence=seq,
            prev_hash=prev,
            transaction_id=tx,
            request_id=f"r-{i}",
            value_date=value_date,
            recorded_at=recorded_at,
            description=description,
            metadata=metadata,
            reverses=reverses,
            postings=postings,
        )
        legs[book].append(
            ExportLeg(
                seq,
                prev,
                hashed,
                tx,
                f"r-{i}",
                value_date,
                recorded_at,
                description,
                metadata,
                reverses,
                [(ids[(book, a)], m) for a, _, m in postings],
            )
        )
    heads = [(b, len(legs[b]), legs[b][-1].hash if legs[b] else GENESIS_HASH) for b in BOOKS]
    return accounts, legs, heads


def _export(path: pathlib.Path, fmt: str, descriptions: list[str]) -> dict[str, Any]:
    accounts, legs, heads = _legs(descriptions)
    pairs = list(accounts.items())
    scales = {"CNY": 2, "OPT-ACME": 0}
    encoder: Any = {
        "jsonl": lambda: JsonLinesEncoder(pairs),
        "csv": lambda: CsvEncoder(pairs),
        "beancount": lambda: BeancountEncoder(pairs, scales, open_date=dt.date(2026, 1, 1)),
    }[fmt]()
    ranges = {b: BookRange(b, 1, s, GENESIS_HASH, h, (s, h)) for b, s, h in heads}
    builder = ManifestBuilder(fmt, Filters(), ranges, scales, heads, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    by_book: dict[str, dict[str, AccountInfo]] = {}
    for key, info in accounts.items():
        by_book.setdefault(info.book, {})[key] = info
    data = encoder.header() + b"".join(encoder.legs(b, legs[b]) for b in BOOKS) + encoder.footer()
    path.write_bytes(data)
    for book in BOOKS:
        builder.add_legs(book, legs[book], by_book[book])
    transactions = len({leg.tx for b in BOOKS for leg in legs[b]})
    return builder.document(transactions=transactions, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "beancount"])
def test_tricky_text_verifies_in_every_format(tmp_path: pathlib.Path, fmt: str) -> None:
    path = tmp_path / f"j.{fmt}"
    manifest = _export(path, fmt, TRICKY * 3)
    report = verify_export(path, manifest)
    assert report.ok, [f.text() for f in report.faults]
    assert report.legs == len(TRICKY) * 3 and report.chain_checked and report.complete


def test_beancount_header_has_the_operating_currency(tmp_path: pathlib.Path) -> None:
    _export(tmp_path / "j.beancount", "beancount", ["x"])
    assert 'option "operating_currency" "CNY"\n' in (tmp_path / "j.beancount").read_text()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(st.characters(blacklist_categories=["Cs"])), min_size=1, max_size=6))
def test_beancount_reads_back_what_was_written(descriptions: list[str]) -> None:
    accounts, legs, _ = _legs(descriptions)
    encoder = BeancountEncoder(list(accounts.items()), {"CNY": 2, "OPT-ACME": 0}, open_date=dt.date(2026, 1, 1))
    data = encoder.header() + b"".join(encoder.legs(b, legs[b]) for b in BOOKS)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="\n")
    read = list(read_beancount(stream, {"CNY": 2, "OPT-ACME": 0}))
    assert all(isinstance(item, BeancountLeg) for item in read), read
    written = [(b, leg) for b in BOOKS for leg in legs[b]]
    for item, (book, leg) in zip(read, written, strict=True):
        assert isinstance(item, BeancountLeg)
        assert (item.book, item.seq, item.hash, item.description, item.metadata, item.reverses) == (
            book,
            leg.seq,
            leg.hash,
            leg.description,
            leg.metadata,
            leg.reverses,
        )
        assert [m for _, _, m in item.postings] == [m for _, m in leg.postings]


@pytest.mark.parametrize(
    ("old", "new", "found"),
    [
        ("  toudai-seq: 2\n", '  toudai-seq: "2"\n', "expected a number"),
        ("  toudai-seq: 2\n", "  toudai-seq: 02\n", "'02'"),
        ('  toudai-tx: "', '  toudai-tx: "x"\n  toudai-tx: "', "more than once"),
        ('  toudai-tx: "', '  toudai-extra: "x"\n  toudai-tx: "', "not a metadata key"),
        (" CNY\n", " USD\n", "USD"),
        ("Assets:Bank-Hz:Cash  ", "Assets:Pool:Cash  ", "belongs to book pool"),
        ('option "title"', 'option "booking_method"', "not one the toudai export writes"),
    ],
)
def test_beancount_outside_the_subset_is_a_format_fault(tmp_path: pathlib.Path, old: str, new: str, found: str) -> None:
    path = tmp_path / "j.beancount"
    manifest = _export(path, "beancount", TRICKY)
    text = path.read_text(encoding="utf-8")
    assert old in text
    # Edit the second occurrence where there is one (a transaction, not the header), else the first.
    at = text.find(old, text.find(old) + 1) if text.count(old) > 1 and not old.startswith("option") else text.find(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    data = path.read_bytes()
    manifest["sha256"], manifest["size_bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    report = verify_export(path, manifest)
    formats = [f for f in report.faults if f.kind == "FORMAT"]
    assert formats and any(found in f.message for f in formats), [f.text() for f in report.faults]


def test_jsonl_bytes_that_are_not_utf8_are_a_format_fault(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "j.jsonl"
    manifest = _export(path, "jsonl", ["plain", "plain"])
    data = path.read_bytes().replace(b"plain", b"pl\xffin", 1)
    path.write_bytes(data)
    manifest["sha256"], manifest["size_bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    report = verify_export(path, manifest)
    assert ("bank-hz", 1, "FORMAT") in [(f.book, f.seq, f.kind) for f in report.faults], report.faults
