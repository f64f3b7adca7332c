"""The canonical text of a leg document, written straight from its values.

Exporting or verifying a large journal hashes and writes hundreds of thousands of legs; building a
nested dict per leg and running `json.dumps(sort_keys=True)` over it costs more than everything else
together. The functions here write the identical bytes (docs/audit.md, "Canonical serialisation")
from the leg's fields with the keys already in code-point order, and quote strings with the same C
routine `json.dumps(ensure_ascii=False)` uses. tests/unit/test_audit_leg_text.py checks them byte for
byte against `ledger.canonical.canonical_json` for arbitrary values.

The functions take the fields already converted to the document's types: `seq` an int, UUIDs, dates
and instants as their text, `metadata` as its canonical JSON text (`metadata_text`), and postings as
`ledger.canonical.postings_text` writes them. The document template itself is
`ledger.canonical.leg_text`, the one the posting path hashes with, so writer and verifier cannot drift;
this module adds what reading stored or tampered rows needs (metadata text in any spacing, a
`reverses` of any JSON value).
"""

from __future__ import annotations

from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ledger.canonical import ENCODING_VERSION, canonical_json, leg_text

quote = encode_basestring  # a JSON string literal with non-ASCII kept raw, exactly as json.dumps writes it


def metadata_of(value: Any) -> str:
    """The canonical JSON text of a metadata mapping (`{}` for an empty one)."""
    return "{}" if not value else canonical_json(dict(value)).decode("utf-8")


def reverses_text(reverses: Any) -> str:
    """`null`, or the quoted UUID (any other JSON value as json.dumps writes it, for tampered input)."""
    if reverses is None:
        return "null"
    if type(reverses) is str:
        return quote(reverses)  # type: ignore[no-any-return]
    return canonical_json(reverses).decode("utf-8")


def document_text(
    book: str,
    seq: int,
    prev: str,
    tx: str,
    request_id: str,
    value_date: str,
    recorded_at: str,
    description: str,
    metadata: str,
    reverses: Any,
    postings: str,
    v: int = ENCODING_VERSION,
    stored_hash: str | None = None,
) -> str:
    """The canonical leg document; with `stored_hash`, the JSON Lines row (the document plus `hash`).

    `metadata` is `metadata_text(...)`, `postings` is `postings_text(...)`; `seq` and `v` are ints.
    Positional arguments are fine (the verifier calls this once per leg).
    """
    return leg_text(
        book,
        seq,
        prev,
        tx,
        request_id,
        value_date,
        recorded_at,
        description,
        metadata,
        reverses_text(reverses),
        postings,
        v,
        stored_hash,
    )
