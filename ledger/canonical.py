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


def checkpoint_hash(heads: Iterable[tuple[str, int, str]]) -> str:
    """One hash over every book's head (book, sequence, hash), books in code-point order."""
    books = sorted([book, seq, head] for book, seq, head in heads)
    return sha256_hex(canonical_json({"v": ENCODING_VERSION, "books": books}))


def fingerprint(document: Any) -> str:
    """The hash of a request's meaningful content, to tell a true retry from a reused request_id."""
    return sha256_hex(canonical_json(document))
