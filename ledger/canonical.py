"""Canonical encodings and hashes: the hash chain of each book, checkpoints and request fingerprints.

The encoding is specified in docs/audit.md precisely enough for an auditor to recompute a book's chain
in another language: a leg is a JSON object serialised with keys sorted by code point, no insignificant
whitespace, UTF-8 without escaping non-ASCII characters, integers as JSON integers (amounts are signed
minor units, debit positive). A leg's hash is the lowercase hex SHA-256 of that serialisation, and the
leg names the previous leg's hash in `prev`, so changing, removing or reordering any leg breaks every
later hash. The first leg of a book has `prev` = GENESIS_HASH.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

ENCODING_VERSION = 1
GENESIS_HASH = "0" * 64


def canonical_json(document: Any) -> bytes:
    """Serialise `document` canonically (sorted keys, compact, UTF-8)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_instant(instant: dt.datetime) -> str:
    """An instant as RFC 3339 UTC with exactly six fractional digits, e.g. 2026-11-26T02:19:42.000001Z."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leg_document(
    *,
    book: str,
    sequence: int,
    prev_hash: str,
    transaction_id: uuid.UUID,
    request_id: str,
    value_date: dt.date,
    recorded_at: dt.datetime,
    description: str,
    metadata: Mapping[str, str],
    reverses: uuid.UUID | None,
    postings: Sequence[tuple[str, str, int]],
) -> dict[str, Any]:
    """The object that is hashed for one leg. `postings` are (account code, commodity, signed minor)."""
    return {
        "v": ENCODING_VERSION,
        "book": book,
        "seq": sequence,
        "prev": prev_hash,
        "tx": str(transaction_id),
        "request_id": request_id,
        "value_date": value_date.isoformat(),
        "recorded_at": format_instant(recorded_at),
        "description": description,
        "metadata": dict(metadata),
        "reverses": str(reverses) if reverses else None,
        "postings": [{"account": a, "commodity": c, "amount": m} for a, c, m in postings],
    }


def leg_hash(document: Mapping[str, Any]) -> str:
    """The chain hash of a leg document (which carries its predecessor's hash in `prev`)."""
    return sha256_hex(canonical_json(document))


# ---------------------------------------------------------------------- the same bytes, written directly
#
# The posting path hashes one leg and fingerprints one request per transaction, tens of thousands per
# second. Building a nested dict and running json.dumps(sort_keys=True) over it costs more than the rest
# of the leg's bookkeeping, so the functions below write the identical canonical text straight from the
# values, keys already in code-point order. tests/unit/test_canonical.py checks them byte for byte against
# canonical_json() of the documents above, for arbitrary (hypothesis-generated) values.

_quote = encode_basestring  # JSON string literal, non-ASCII kept raw: what json.dumps(ensure_ascii=False) writes


def metadata_json(metadata: Mapping[str, str]) -> str:
    """A string-to-string map as canonical JSON text (keys sorted by code point)."""
    if not metadata:
        return "{}"
    return "{" + ",".join([_quote(k) + ":" + _quote(metadata[k]) for k in sorted(metadata)]) + "}"


def postings_text(postings: Iterable[tuple[str, str, int]]) -> str:
    """A leg's `postings` array: `[{"account":...,"amount":...,"commodity":...},...]`."""
    items = [f'{{"account":{_quote(a)},"amount":{m},"commodity":{_quote(c)}}}' for a, c, m in postings]
    return "[" + ",".join(items) + "]"


def leg_text(
    book: str,
    seq: int,
    prev: str,
    tx: str,
    request_id: str,
    value_date: str,
    recorded_at: str,
    description: str,
    metadata: str,
    reverses: str,
    postings: str,
    v: int = ENCODING_VERSION,
    stored_hash: str | None = None,
) -> str:
    """A leg document's canonical text from pre-encoded parts; with `stored_hash`, the JSON Lines row
    of the audit export (the document plus its `hash`).

    `metadata` is `metadata_json(...)` text, `reverses` the JSON text of the value (`null` or a quoted
    UUID), `postings` is `postings_text(...)`; the other strings are raw and quoted here. Shared by the
    posting path (`leg_hash_of`) and the audit export and verifier (audit/leg_text.py).
    """
    hashed = "" if stored_hash is None else f',"hash":{_quote(stored_hash)}'
    return (
        f'{{"book":{_quote(book)},"description":{_quote(description)}{hashed},"metadata":{metadata}'
        f',"postings":{postings},"prev":{_quote(prev)},"recorded_at":{_quote(recorded_at)}'
        f',"request_id":{_quote(request_id)},"reverses":{reverses},"seq":{seq}'
        f',"tx":{_quote(tx)},"v":{v},"value_date":{_quote(value_date)}}}'
    )


def leg_hash_of(
    *,
    book: str,
    sequence: int,
    prev_hash: str,
    transaction_id: str,
    request_id: str,
    value_date: str,
    recorded_at: str,
    description: str,
    metadata: str,
    reverses: str | None,
    postings: Iterable[tuple[str, str, int]],
) -> str:
    """`leg_hash(leg_document(...))` from pre-formatted parts, without the intermediate dict.

    `transaction_id` and `reverses` are UUID text, `value_date` ISO text, `recorded_at` as
    `format_instant` writes it, and `metadata` the map's `metadata_json` text (shared by every leg of a
    transaction, so it is encoded once).
    """
    text = leg_text(
        book,
        sequence,
        prev_hash,
        transaction_id,
        request_id,
        value_date,
        recorded_at,
        description,
        metadata,
        "null" if reverses is None else _quote(reverses),
        postings_text(postings),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checkpoint_hash(heads: Iterable[tuple[str, int, str]]) -> str:
    """One hash over every book's head (book, sequence, hash), books in code-point order."""
    books = sorted([book, seq, head] for book, seq, head in heads)
    return sha256_hex(canonical_json({"v": ENCODING_VERSION, "books": books}))


def fingerprint(document: Any) -> str:
    """The hash of a request's meaningful content, to tell a true retry from a reused request_id."""
    return sha256_hex(canonical_json(document))


def transaction_fingerprint_of(
    *,
    description: str,
    metadata: Mapping[str, str],
    postings: Iterable[tuple[str, str, str, int]],
    reverses: str | None,
    value_date: str | None,
) -> str:
    """`fingerprint()` of a posting request's document, written directly (see ledger.validation).

    `postings` are (account name, side, commodity, positive minor amount); the document is
    {"description", "metadata", "postings": [[account, side, commodity, amount], ...], "reverses",
    "value_date"}.
    """
    rows = ",".join(
        ["[" + _quote(a) + "," + _quote(s) + "," + _quote(c) + "," + str(m) + "]" for a, s, c, m in postings]
    )
    text = (
        '{"description":' + _quote(description)
        + ',"metadata":' + metadata_json(metadata)
        + ',"postings":[' + rows
        + '],"reverses":' + ("null" if reverses is None else _quote(reverses))
        + ',"value_date":' + ("null" if value_date is None else _quote(value_date))
        + "}"
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_METADATA_CACHE: dict[str, str] = {}
_METADATA_CACHE_LIMIT = 4_096


def metadata_text(stored: str) -> str:
    """The canonical JSON text of a metadata object stored as JSON text (in any spacing or key order).

    Metadata repeats across legs (every leg of a transaction, often whole batches), so results are
    memoised in a small bounded cache.
    """
    if stored == "{}":
        return stored
    found = _METADATA_CACHE.get(stored)
    if found is None:
        found = canonical_json(dict(json.loads(stored))).decode("utf-8")
        if len(_METADATA_CACHE) >= _METADATA_CACHE_LIMIT:
            _METADATA_CACHE.clear()
        _METADATA_CACHE[stored] = found
    return found
