"""Canonical encoding and hashes, checked against hand-written serialisations and hashlib."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import (
    GENESIS_HASH,
    canonical_json,
    checkpoint_hash,
    fingerprint,
    format_instant,
    leg_document,
    leg_hash,
    leg_hash_of,
    metadata_json,
    transaction_fingerprint_of,
)

TX = uuid.UUID("12345678-1234-5678-1234-567812345678")
REVERSED = uuid.UUID("87654321-4321-8765-4321-876543218765")
RECORDED = dt.datetime(2026, 11, 26, 2, 19, 42, 1, tzinfo=dt.UTC)


def small_leg(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "book": "bank-hz",
        "sequence": 1,
        "prev_hash": GENESIS_HASH,
        "transaction_id": TX,
        "request_id": "r-1",
        "value_date": dt.date(2026, 11, 26),
        "recorded_at": RECORDED,
        "description": "贷款发放",
        "metadata": {"loan": "L1", "a": "b"},
        "reverses": None,
        "postings": [("cash", "CNY", -150000), ("loans", "CNY", 150000)],
    }
    arguments.update(overrides)
    return leg_document(**arguments)


# Written out by hand from the encoding documented in ledger/canonical.py: keys sorted by code point, no
# whitespace, non-ASCII characters as raw UTF-8, integers as JSON integers, the instant with six fractional
# digits and a Z.
HAND_WRITTEN = (
    '{"book":"bank-hz","description":"贷款发放","metadata":{"a":"b","loan":"L1"},'
    '"postings":[{"account":"cash","amount":-150000,"commodity":"CNY"},'
    '{"account":"loans","amount":150000,"commodity":"CNY"}],'
    '"prev":"0000000000000000000000000000000000000000000000000000000000000000",'
    '"recorded_at":"2026-11-26T02:19:42.000001Z","request_id":"r-1","reverses":null,"seq":1,'
    '"tx":"12345678-1234-5678-1234-567812345678","v":1,"value_date":"2026-11-26"}'
)


def test_genesis_is_64_zeros() -> None:
    assert GENESIS_HASH == "0" * 64


def test_small_leg_serialises_exactly_as_written_by_hand() -> None:
    assert canonical_json(small_leg()) == HAND_WRITTEN.encode("utf-8")


def test_small_leg_hash_is_sha256_of_hand_written_encoding() -> None:
    expected = hashlib.sha256(HAND_WRITTEN.encode("utf-8")).hexdigest()
    assert leg_hash(small_leg()) == expected
    assert len(expected) == 64 and expected == expected.lower()


def test_chain_second_leg_names_the_first() -> None:
    first = leg_hash(small_leg())
    second_text = HAND_WRITTEN.replace(f'"prev":"{GENESIS_HASH}"', f'"prev":"{first}"').replace('"seq":1', '"seq":2')
    expected = hashlib.sha256(second_text.encode("utf-8")).hexdigest()
    assert leg_hash(small_leg(sequence=2, prev_hash=first)) == expected


def test_reversal_leg_names_what_it_reverses() -> None:
    text = HAND_WRITTEN.replace('"reverses":null', f'"reverses":"{REVERSED}"')
    assert canonical_json(small_leg(reverses=REVERSED)) == text.encode("utf-8")


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        (dt.datetime(2026, 11, 26, 2, 19, 42, 1, tzinfo=dt.UTC), "2026-11-26T02:19:42.000001Z"),
        (dt.datetime(2026, 11, 26, 2, 19, 42, tzinfo=dt.UTC), "2026-11-26T02:19:42.000000Z"),
        # 10:19:42 in Shanghai (UTC+8) is 02:19:42 UTC
        (
            dt.datetime(2026, 11, 26, 10, 19, 42, 500000, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            "2026-11-26T02:19:42.500000Z",
        ),
        # a naive instant is taken to be UTC (SQLite returns them naive)
        (dt.datetime(2026, 1, 1, 0, 0, 0), "2026-01-01T00:00:00.000000Z"),
    ],
)
def test_format_instant(instant: dt.datetime, text: str) -> None:
    assert format_instant(instant) == text


def test_equal_instants_in_other_zones_hash_alike() -> None:
    shanghai = RECORDED.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert leg_hash(small_leg(recorded_at=shanghai)) == leg_hash(small_leg())


def test_metadata_key_order_does_not_matter() -> None:
    a = small_leg(metadata={"a": "b", "loan": "L1"})
    b = small_leg(metadata={"loan": "L1", "a": "b"})
    assert leg_hash(a) == leg_hash(b)


@pytest.mark.parametrize(
    "change",
    [
        {"book": "bank-sh"},
        {"sequence": 2},
        {"prev_hash": "1" + "0" * 63},
        {"transaction_id": REVERSED},
        {"request_id": "r-2"},
        {"value_date": dt.date(2026, 11, 27)},
        {"recorded_at": RECORDED + dt.timedelta(microseconds=1)},
        {"description": "贷款发放 "},
        {"metadata": {"loan": "L1"}},
        {"metadata": {"loan": "L2", "a": "b"}},
        {"reverses": REVERSED},
        {"postings": [("cash", "CNY", -150001), ("loans", "CNY", 150001)]},
        {"postings": [("loans", "CNY", 150000), ("cash", "CNY", -150000)]},  # posting order is part of the leg
        {"postings": [("cash", "CNH", -150000), ("loans", "CNH", 150000)]},
        {"postings": [("cash2", "CNY", -150000), ("loans", "CNY", 150000)]},
        {"postings": [("cash", "CNY", -150000), ("loans", "CNY", 100000), ("loans", "CNY", 50000)]},
    ],
)
def test_changing_any_field_changes_the_hash(change: dict[str, Any]) -> None:
    assert leg_hash(small_leg(**change)) != leg_hash(small_leg())


def test_checkpoint_hash_matches_hand_written_encoding() -> None:
    heads = [("bank-sh", 1, "b" * 64), ("bank-hz", 2, "a" * 64)]
    text = '{"books":[["bank-hz",2,"' + "a" * 64 + '"],["bank-sh",1,"' + "b" * 64 + '"]],"v":1}'
    assert checkpoint_hash(heads) == hashlib.sha256(text.encode()).hexdigest()


def test_checkpoint_of_no_books() -> None:
    assert checkpoint_hash([]) == hashlib.sha256(b'{"books":[],"v":1}').hexdigest()


def test_checkpoint_is_independent_of_input_order() -> None:
    heads = [("a", 3, "1" * 64), ("b", 1, "2" * 64), ("c", 7, "3" * 64), ("ab", 2, "4" * 64)]
    hashes = {checkpoint_hash(list(order)) for order in itertools.permutations(heads)}
    assert len(hashes) == 1


@pytest.mark.parametrize(
    "changed",
    [
        [("a", 3, "1" * 64), ("b", 2, "2" * 64)],
        [("a", 3, "1" * 64), ("b", 1, "5" * 64)],
        [("a", 3, "1" * 64), ("c", 1, "2" * 64)],
        [("a", 3, "1" * 64)],
    ],
)
def test_checkpoint_changes_with_any_head(changed: list[tuple[str, int, str]]) -> None:
    assert checkpoint_hash(changed) != checkpoint_hash([("a", 3, "1" * 64), ("b", 1, "2" * 64)])


def test_fingerprint_is_sha256_of_canonical_json() -> None:
    doc = {"b": [1, "二"], "a": None}
    assert fingerprint(doc) == hashlib.sha256('{"a":null,"b":[1,"二"]}'.encode()).hexdigest()
    assert fingerprint({"a": None, "b": [1, "二"]}) == fingerprint(doc)
    assert fingerprint({"a": 1}) != fingerprint({"a": "1"})


# ---------------------------------------------------------------------- the direct encoders write the same bytes

_text = st.text(max_size=40)  # any Unicode, including quotes, backslashes, controls and astral characters
_metadata = st.dictionaries(_text, _text, max_size=5)
_postings = st.lists(st.tuples(_text, _text, st.integers(-(10**18), 10**18)), min_size=1, max_size=4)


@given(metadata=_metadata)
def test_metadata_json_is_canonical_json(metadata: dict[str, str]) -> None:
    assert metadata_json(metadata) == canonical_json(metadata).decode("utf-8")


@given(
    book=_text,
    sequence=st.integers(1, 10**12),
    request_id=_text,
    description=_text,
    metadata=_metadata,
    reverses=st.one_of(st.none(), st.uuids()),
    postings=_postings,
    instant=st.datetimes(timezones=st.just(dt.UTC)),
)
def test_leg_hash_of_equals_hash_of_leg_document(
    book: str,
    sequence: int,
    request_id: str,
    description: str,
    metadata: dict[str, str],
    reverses: uuid.UUID | None,
    postings: list[tuple[str, str, int]],
    instant: dt.datetime,
) -> None:
    prev = hashlib.sha256(book.encode()).hexdigest()
    document = leg_document(
        book=book,
        sequence=sequence,
        prev_hash=prev,
        transaction_id=TX,
        request_id=request_id,
        value_date=instant.date(),
        recorded_at=instant,
        description=description,
        metadata=metadata,
        reverses=reverses,
        postings=postings,
    )
    direct = leg_hash_of(
        book=book,
        sequence=sequence,
        prev_hash=prev,
        transaction_id=str(TX),
        request_id=request_id,
        value_date=instant.date().isoformat(),
        recorded_at=format_instant(instant),
        description=description,
        metadata=metadata_json(metadata),
        reverses=str(reverses) if reverses else None,
        postings=postings,
    )
    assert direct == leg_hash(document) == hashlib.sha256(canonical_json(document)).hexdigest()


def test_leg_hash_of_matches_the_hand_written_document() -> None:
    direct = leg_hash_of(
        book="bank-hz",
        sequence=1,
        prev_hash=GENESIS_HASH,
        transaction_id=str(TX),
        request_id="r-1",
        value_date="2026-11-26",
        recorded_at=format_instant(RECORDED),
        description="贷款发放",
        metadata=metadata_json({"loan": "L1", "a": "b"}),
        reverses=None,
        postings=[("cash", "CNY", -150000), ("loans", "CNY", 150000)],
    )
    assert direct == hashlib.sha256(HAND_WRITTEN.encode("utf-8")).hexdigest()


@given(
    description=_text,
    metadata=_metadata,
    postings=st.lists(st.tuples(_text, st.sampled_from(["debit", "credit"]), _text, st.integers(1, 10**17))),
    reverses=st.one_of(st.none(), st.uuids()),
    value_date=st.one_of(st.none(), st.dates()),
)
def test_transaction_fingerprint_of_equals_fingerprint_of_the_document(
    description: str,
    metadata: dict[str, str],
    postings: list[tuple[str, str, str, int]],
    reverses: uuid.UUID | None,
    value_date: dt.date | None,
) -> None:
    document = {
        "value_date": value_date.isoformat() if value_date else None,
        "description": description,
        "metadata": metadata,
        "reverses": str(reverses) if reverses else None,
        "postings": [list(p) for p in postings],
    }
    direct = transaction_fingerprint_of(
        description=description,
        metadata=metadata,
        postings=postings,
        reverses=str(reverses) if reverses else None,
        value_date=value_date.isoformat() if value_date else None,
    )
    assert direct == fingerprint(document)
